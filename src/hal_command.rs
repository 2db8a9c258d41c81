//! `vla hal info`: the compute backends this build and machine offer, and
//! the target device profiles.

use vla_hal::compute::{Backend, DEVICE_PROFILES, cuda_driver};

pub fn info() {
    let built_with_cuda = cfg!(feature = "cuda");
    println!("backends");
    println!("  cpu   available (burn flex)");
    match (built_with_cuda, cuda_driver()) {
        (false, _) => println!("  cuda  not in this build (rebuild with --features cuda)"),
        (true, Ok(lib)) => println!("  cuda  available (driver {})", lib.display()),
        (true, Err(e)) => println!("  cuda  built, but {e}"),
    }
    let detected = if Backend::Cuda.check(built_with_cuda).is_ok() { Backend::Cuda } else { Backend::Cpu };
    println!("detected backend: {detected}");
    println!("device profiles");
    println!(
        "  {:<12} {:<26} {:>8} {:>10} {:>11} {:>11}",
        "name", "computer", "memory", "bandwidth", "FP16 dense", "FP32"
    );
    for p in DEVICE_PROFILES {
        println!(
            "  {:<12} {:<26} {:>5.0} GB {:>6.1} GB/s {:>6.1} TFLOPS {:>5.2} TFLOPS",
            p.name, p.description, p.memory_gb, p.bandwidth_gbps, p.fp16_tflops, p.fp32_tflops
        );
    }
}
