//! The burn backends the stack runs on: `flex` on CPU by default, CUDA
//! (Orin/Thor) behind the `cuda` cargo feature.

/// The CPU backend.
pub type CpuBackend = burn::backend::Flex;

/// The CUDA backend, for NVIDIA Orin/Thor-class GPUs.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn_cuda::Cuda;
