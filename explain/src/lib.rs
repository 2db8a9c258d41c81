//! Chain-of-thought reasoning in EMMA's four parts (R1 scene, R2 critical
//! objects, R3 their behaviour, R4 the meta decision): the trace and its
//! text (`reasoning`), the twelve decisions (`decision`), labels from
//! simulator ground truth (`labels`), the vocabulary and tokenizer
//! (`tokenizer`), the trace's grammar for constrained decoding
//! (`grammar`), and consistency checks against a model's own trajectory
//! and detections (`consistency`).

pub mod consistency;
pub mod decision;
pub mod grammar;
pub mod labels;
pub mod reasoning;
pub mod tokenizer;

pub use decision::{Decision, decision_of};
pub use grammar::TraceGrammar;
pub use labels::{LabelInput, SceneContext, explain_plan, label, scene_seen};
pub use reasoning::{Behaviour, CriticalObject, Light, ParseError, Reasoning, RoadKind, Scene, Traffic, parse};
pub use tokenizer::Tokenizer;
