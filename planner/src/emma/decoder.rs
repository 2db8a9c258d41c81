//! The shared decoder's forward pass, on the parameters of burn's
//! `TransformerDecoder` (pre-norm layers: self-attention, cross-attention
//! over the context, feed-forward; no dropout). Written out here rather
//! than through burn's `forward` for what a planning step needs: the
//! context's cross-attention keys and values are projected once per frame
//! and shared by every head — trajectory, detection, token-by-token
//! decoding, reasoning — as a language model's prompt is prefilled once;
//! and decoding one token at a time keeps each layer's self-attention keys
//! and values instead of recomputing the prefix.

use burn::nn::Linear;
use burn::nn::attention::{MultiHeadAttention, generate_autoregressive_mask};
use burn::nn::transformer::{TransformerDecoder, TransformerDecoderLayer};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;

/// Keys and values of one layer's attention: `[batch, heads, tokens, d_k]`.
#[derive(Debug, Clone)]
pub struct KeysValues<B: Backend> {
    keys: Tensor<B, 4>,
    values: Tensor<B, 4>,
}

impl<B: Backend> KeysValues<B> {
    fn cat(self, more: Self) -> Self {
        Self {
            keys: Tensor::cat(vec![self.keys, more.keys], 2),
            values: Tensor::cat(vec![self.values, more.values], 2),
        }
    }
}

/// The context as every layer's cross-attention reads it.
#[derive(Debug, Clone)]
pub struct MemoryKeys<B: Backend> {
    layers: Vec<KeysValues<B>>,
}

impl<B: Backend> MemoryKeys<B> {
    /// The context of `memory` `[batch, tokens, dim]`.
    pub fn of(decoder: &TransformerDecoder<B>, memory: Tensor<B, 3>) -> Self {
        let layers = decoder.layers.iter().map(|layer| keys_values(&layer.cross_attn, memory.clone())).collect();
        Self { layers }
    }

    /// This context with `more` tokens `[batch, n, dim]` appended.
    pub fn with(&self, decoder: &TransformerDecoder<B>, more: Tensor<B, 3>) -> Self {
        let extra = Self::of(decoder, more);
        Self { layers: self.layers.iter().cloned().zip(extra.layers).map(|(a, b)| a.cat(b)).collect() }
    }
}

/// The self-attention keys and values of the tokens decoded so far.
#[derive(Debug, Clone, Default)]
pub struct TokenCache<B: Backend> {
    layers: Vec<KeysValues<B>>,
}

/// `[batch, tokens, dim]` → `[batch, heads, tokens, d_k]`.
fn split_heads<B: Backend>(attention: &MultiHeadAttention<B>, x: Tensor<B, 3>, linear: &Linear<B>) -> Tensor<B, 4> {
    let [b, l, _] = x.dims();
    linear.forward(x).reshape([b, l, attention.n_heads, attention.d_k]).swap_dims(1, 2)
}

fn keys_values<B: Backend>(attention: &MultiHeadAttention<B>, x: Tensor<B, 3>) -> KeysValues<B> {
    KeysValues {
        keys: split_heads(attention, x.clone(), &attention.key),
        values: split_heads(attention, x, &attention.value),
    }
}

/// Scaled dot-product attention of `x` `[batch, l, dim]` over `kv`,
/// future positions masked when `causal`.
fn attend<B: Backend>(
    attention: &MultiHeadAttention<B>,
    x: Tensor<B, 3>,
    kv: &KeysValues<B>,
    causal: bool,
) -> Tensor<B, 3> {
    let [b, l, d] = x.dims();
    let query = split_heads(attention, x, &attention.query);
    let mut scores = query.matmul(kv.keys.clone().transpose()).div_scalar((attention.d_k as f32).sqrt());
    if causal {
        let mask = generate_autoregressive_mask::<B>(b, l, &scores.device()).reshape([b, 1, l, l]);
        scores = scores.mask_fill(mask, attention.min_float);
    }
    let context = softmax(scores, 3).matmul(kv.values.clone()).swap_dims(1, 2).reshape([b, l, d]);
    attention.output.forward(context)
}

/// One pre-norm layer over `x`, whose self-attention also sees `past`;
/// returns the output and `x`'s self-attention keys and values.
fn layer_forward<B: Backend>(
    layer: &TransformerDecoderLayer<B>,
    x: Tensor<B, 3>,
    memory: &KeysValues<B>,
    past: Option<&KeysValues<B>>,
    causal: bool,
) -> (Tensor<B, 3>, KeysValues<B>) {
    let normed = layer.norm_3.forward(x.clone());
    let own = keys_values(&layer.self_attn, normed.clone());
    let all = match past {
        Some(past) => past.clone().cat(own.clone()),
        None => own.clone(),
    };
    let x = x + attend(&layer.self_attn, normed, &all, causal);
    let x = x.clone() + attend(&layer.cross_attn, layer.norm_1.forward(x), memory, false);
    let x = x.clone() + layer.pwff.forward(layer.norm_2.forward(x));
    (x, own)
}

/// All of `target` `[batch, l, dim]` in one pass over the context; under
/// `causal` each position sees only those before it (teacher forcing).
pub fn forward<B: Backend>(
    decoder: &TransformerDecoder<B>,
    target: Tensor<B, 3>,
    memory: &MemoryKeys<B>,
    causal: bool,
) -> Tensor<B, 3> {
    decoder.layers.iter().zip(&memory.layers).fold(target, |x, (layer, kv)| layer_forward(layer, x, kv, None, causal).0)
}

/// The next token `[batch, 1, dim]` after those in `cache`, which it joins.
pub fn forward_token<B: Backend>(
    decoder: &TransformerDecoder<B>,
    token: Tensor<B, 3>,
    memory: &MemoryKeys<B>,
    cache: &mut TokenCache<B>,
) -> Tensor<B, 3> {
    let mut x = token;
    for (i, (layer, kv)) in decoder.layers.iter().zip(&memory.layers).enumerate() {
        let (out, own) = layer_forward(layer, x, kv, cache.layers.get(i), false);
        x = out;
        match cache.layers.get_mut(i) {
            Some(past) => *past = past.clone().cat(own),
            None => cache.layers.push(own),
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::transformer::{TransformerDecoderConfig, TransformerDecoderInput};
    use burn::tensor::{Distribution, Tolerance};
    use vla_perception::backend::CpuBackend as B;

    fn decoder() -> TransformerDecoder<B> {
        TransformerDecoderConfig::new(16, 32, 4, 2).with_dropout(0.0).with_norm_first(true).init(&Default::default())
    }

    fn random(shape: [usize; 3]) -> Tensor<B, 3> {
        Tensor::random(shape, Distribution::Normal(0.0, 1.0), &Default::default())
    }

    #[test]
    fn matches_burn_s_decoder_with_and_without_the_causal_mask() {
        let decoder = decoder();
        let (target, memory) = (random([2, 5, 16]), random([2, 7, 16]));
        let keys = MemoryKeys::of(&decoder, memory.clone());
        for causal in [false, true] {
            let mut input = TransformerDecoderInput::new(target.clone(), memory.clone());
            if causal {
                input = input.target_mask_attn(generate_autoregressive_mask(2, 5, &Default::default()));
            }
            let expected = decoder.forward(input);
            forward(&decoder, target.clone(), &keys, causal)
                .into_data()
                .assert_approx_eq::<f32>(&expected.into_data(), Tolerance::absolute(1e-5));
        }
    }

    #[test]
    fn token_by_token_equals_the_causal_pass_and_appended_memory_equals_a_longer_one() {
        let decoder = decoder();
        let (target, memory, more) = (random([1, 4, 16]), random([1, 6, 16]), random([1, 2, 16]));
        let keys = MemoryKeys::of(&decoder, memory.clone()).with(&decoder, more.clone());
        let longer = MemoryKeys::of(&decoder, Tensor::cat(vec![memory, more], 1));
        let whole = forward(&decoder, target.clone(), &longer, true);
        let mut cache = TokenCache::default();
        let steps: Vec<Tensor<B, 3>> = (0..4)
            .map(|i| forward_token(&decoder, target.clone().slice([0..1, i..i + 1, 0..16]), &keys, &mut cache))
            .collect();
        Tensor::cat(steps, 1).into_data().assert_approx_eq::<f32>(&whole.into_data(), Tolerance::absolute(1e-5));
    }
}
