//! The AFL++ harness: `VLA_FUZZ_TARGET` names the parser, AFL++ feeds the
//! inputs. Built and run by `ci/fuzz.sh TARGET SECONDS`.

fn main() {
    let name = std::env::var("VLA_FUZZ_TARGET").unwrap_or_default();
    let Some(target) = vla_fuzz::Target::by_name(&name) else {
        eprintln!("VLA_FUZZ_TARGET=`{name}`: expected one of {}", vla_fuzz::Target::names());
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| target.run(data));
}
