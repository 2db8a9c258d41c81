//! The in-vehicle process. So far this crate owns its configuration: the
//! vehicle config file and the camera rig file, parsed and range-checked
//! here so that every parser of outside data is a library function (and can
//! be fuzzed); the scheduler still lives in the `vla` binary.

pub mod config;
