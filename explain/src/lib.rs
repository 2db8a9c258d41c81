//! Chain-of-thought reasoning in EMMA's four parts (R1 scene, R2 critical
//! objects, R3 their behaviour, R4 the meta decision): vocabulary and
//! tokenizer, labels from simulator ground truth, parsing, consistency
//! checks against boxes and trajectory, and Rerun logging of the traces.
//! Nothing is implemented yet; see this crate's README for what it will own.
