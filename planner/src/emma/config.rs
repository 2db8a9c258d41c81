//! The model's shape, saved beside its weights (`emma.json`).

use burn::config::Config;
use vla_perception::EncoderConfig;

#[derive(Config, Debug)]
pub struct EmmaConfig {
    pub encoder: EncoderConfig,
    /// Layers of the shared decoder every task head runs through.
    #[config(default = 2)]
    pub decoder_layers: usize,
    #[config(default = 4)]
    pub decoder_heads: usize,
    /// DETR-style object queries: the most objects one frame can report.
    #[config(default = 10)]
    pub detection_queries: usize,
    /// Longest reasoning text the decoder writes (tokens, with `<bos>`).
    #[config(default = 96)]
    pub reasoning_tokens: usize,
    /// Hidden width of the ego-status MLP the parallel trajectory head
    /// corrects (the `ego-mlp` baseline's shape, so that its trained
    /// weights can start it).
    #[config(default = 128)]
    pub ego_base_hidden: usize,
    /// Size of the reasoning vocabulary (the tokenizer's, when trained).
    pub vocabulary: usize,
    /// The camera image size the model was trained on.
    pub image_width: usize,
    pub image_height: usize,
}

impl EmmaConfig {
    pub fn dim(&self) -> usize {
        self.encoder.dim
    }
}
