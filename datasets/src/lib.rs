//! MCAP logs and datasets: the topic layout and schemas, writer and reader,
//! dataset generation from the simulator, and loaders for real data
//! (nuScenes, comma2k19). Nothing is implemented yet; see this crate's
//! README for what it will own.
