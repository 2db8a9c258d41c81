//! The multi-camera encoder: each image cut into patches and embedded by a
//! small convolutional stem (three strided convolutions, overall stride =
//! the patch side); each patch given a position that comes from the
//! camera's calibration — the ego-frame ray through the patch centre and
//! the camera's mounting point — so the same weights accept another rig;
//! then one transformer over the tokens of all cameras together.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Gelu, Linear, LinearConfig};
use burn::tensor::{Tensor, TensorData, backend::Backend};
use nalgebra::Vector3;
use vla_hal::CameraRig;

/// Numbers per patch position: ray direction (3) and camera position (3),
/// in the ego frame.
pub const RAY_FEATURES: usize = 6;

#[derive(Config, Debug)]
pub struct EncoderConfig {
    /// Patch side (pixels): the stem's overall stride, a multiple of 8.
    #[config(default = 32)]
    pub patch: usize,
    /// Token width.
    #[config(default = 96)]
    pub dim: usize,
    #[config(default = 2)]
    pub layers: usize,
    #[config(default = 4)]
    pub heads: usize,
}

#[derive(Module, Debug)]
pub struct MultiCameraEncoder<B: Backend> {
    /// Stride 4, then 2, then patch / 8: a patch token sees its pixels
    /// through two nonlinear layers, not one linear projection.
    stem: Vec<Conv2d<B>>,
    activation: Gelu,
    ray_embed: Linear<B>,
    transformer: TransformerEncoder<B>,
}

impl EncoderConfig {
    pub fn init<B: Backend>(&self, device: &B::Device) -> MultiCameraEncoder<B> {
        let last = (self.patch / 8).max(1);
        let widths = [3, self.dim / 4, self.dim / 2, self.dim];
        let stem = [4, 2, last]
            .iter()
            .enumerate()
            .map(|(i, &k)| Conv2dConfig::new([widths[i], widths[i + 1]], [k, k]).with_stride([k, k]).init(device))
            .collect();
        MultiCameraEncoder {
            stem,
            activation: Gelu::new(),
            ray_embed: LinearConfig::new(RAY_FEATURES, self.dim).init(device),
            transformer: TransformerEncoderConfig::new(self.dim, 2 * self.dim, self.heads, self.layers)
                .with_dropout(0.0)
                .with_norm_first(true)
                .init(device),
        }
    }
}

/// The position of every patch of every camera: `[cameras, patches, 6]`,
/// patches row by row, from the rig's calibration alone.
pub fn patch_rays<B: Backend>(rig: &CameraRig, patch: usize, device: &B::Device) -> Tensor<B, 3> {
    let mut values = Vec::new();
    let mut per_camera = 0;
    for cam in &rig.cameras {
        let k = &cam.intrinsics;
        let (rows, cols) = (k.height as usize / patch, k.width as usize / patch);
        per_camera = rows * cols;
        let origin = cam.ego_from_camera.translation.vector;
        for r in 0..rows {
            for c in 0..cols {
                let (u, v) = ((c as f64 + 0.5) * patch as f64, (r as f64 + 0.5) * patch as f64);
                let in_camera = Vector3::new((u - k.cx) / k.fx, (v - k.cy) / k.fy, 1.0).normalize();
                let ray = cam.ego_from_camera.rotation * in_camera;
                values.extend([ray.x, ray.y, ray.z, origin.x, origin.y, origin.z].map(|x| x as f32));
            }
        }
    }
    Tensor::from_data(TensorData::new(values, [rig.cameras.len(), per_camera, RAY_FEATURES]), device)
}

impl<B: Backend> MultiCameraEncoder<B> {
    /// Images `[batch · cameras, 3, H, W]` (each frame's cameras together,
    /// in rig order) and the rig's patch rays `[cameras, P, 6]` to tokens
    /// `[batch, cameras · P, dim]`.
    pub fn forward(&self, images: Tensor<B, 4>, rays: Tensor<B, 3>) -> Tensor<B, 3> {
        let mut x = images;
        for (i, conv) in self.stem.iter().enumerate() {
            x = conv.forward(x);
            if i + 1 < self.stem.len() {
                x = self.activation.forward(x);
            }
        }
        let [frames, dim, rows, cols] = x.dims();
        let cameras = rays.dims()[0];
        let x = x.reshape([frames / cameras, cameras, dim, rows * cols]).swap_dims(2, 3);
        let x = x + self.ray_embed.forward(rays).unsqueeze::<4>();
        let x = x.reshape([frames / cameras, cameras * rows * cols, dim]);
        self.transformer.forward(TransformerEncoderInput::new(x))
    }

    /// The stem's overall stride: the patch side.
    pub fn patch(&self) -> usize {
        self.stem.iter().map(|c| c.weight.dims()[2]).product()
    }

    /// Multiply–adds ×2 of one frame of `cameras` images `width`×`height`:
    /// the stem's convolutions and the transformer's projections and
    /// attention.
    pub fn flops(&self, cameras: usize, width: usize, height: usize) -> f64 {
        let mut flops = 0.0;
        let (mut w, mut h) = (width, height);
        for conv in &self.stem {
            let [out, input, k, _] = conv.weight.dims();
            (w, h) = (w / k, h / k);
            flops += 2.0 * (cameras * w * h * out * input * k * k) as f64;
        }
        let tokens = (cameras * w * h) as f64;
        let dim = self.ray_embed.weight.dims()[1] as f64;
        let layers = self.transformer.layers.len() as f64;
        // q, k, v, out (4 dim²) and the 2-layer feed-forward (2 · 2 dim²)
        // per token; QKᵀ and AV (2 tokens² dim).
        flops + layers * (2.0 * tokens * 8.0 * dim * dim + 4.0 * tokens * tokens * dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use burn::module::Module;
    use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
    use burn::tensor::Distribution;

    type B = CpuBackend;

    fn images(rig: &CameraRig, seed: u64) -> Tensor<B, 4> {
        let k = rig.cameras[0].intrinsics;
        let device = Default::default();
        B::seed(&device, seed);
        Tensor::random(
            [rig.cameras.len(), 3, k.height as usize, k.width as usize],
            Distribution::Normal(0.0, 1.0),
            &device,
        )
    }

    #[test]
    fn tokens_of_all_cameras_come_out_deterministic_and_rig_dependent() {
        let device = Default::default();
        let config = EncoderConfig::new().with_patch(16).with_dim(32).with_heads(4).with_layers(1);
        B::seed(&device, 7);
        let encoder = config.init::<B>(&device);
        let rig = CameraRig::nuscenes_like(64, 32);
        let rays = patch_rays::<B>(&rig, 16, &device);
        assert_eq!(rays.dims(), [6, 8, 6]);
        let x = images(&rig, 1);
        let a = encoder.forward(x.clone(), rays.clone());
        assert_eq!(a.dims(), [1, 48, 32]);
        let b = encoder.forward(x.clone(), rays.clone());
        assert_eq!(a.to_data(), b.to_data(), "inference is deterministic");
        // Another rig (cameras aimed elsewhere) changes the tokens of the
        // same images: the position comes from the calibration.
        let mut turned = rig.clone();
        turned.cameras.rotate_left(1);
        let c = encoder.forward(x, patch_rays::<B>(&turned, 16, &device));
        let diff: f32 = (a - c).abs().sum().into_scalar();
        assert!(diff > 1e-3, "{diff}");
    }

    #[test]
    fn flops_count_the_stem_of_every_camera() {
        let encoder = EncoderConfig::new()
            .with_patch(16)
            .with_dim(16)
            .with_heads(2)
            .with_layers(1)
            .init::<B>(&Default::default());
        // Per 32x16 image: 3->4 channels at stride 4 (8x4 outputs, 4x4
        // kernels), 4->8 at 2 (4x2), 8->16 at 2 (2x1); ×2 for multiply-adds.
        let stem = 2.0 * (8 * 4 * 4 * 3 * 16 + 4 * 2 * 8 * 4 * 4 + 2 * 16 * 8 * 4) as f64;
        // Twelve tokens for six cameras, one layer: projections and attention.
        let transformer = 2.0 * 12.0 * 8.0 * 256.0 + 4.0 * 144.0 * 16.0;
        assert_eq!(encoder.flops(6, 32, 16), 6.0 * stem + transformer);
    }

    #[test]
    fn saved_and_loaded_weights_give_identical_outputs() {
        let device = Default::default();
        let config = EncoderConfig::new().with_patch(16).with_dim(16).with_heads(2).with_layers(1);
        B::seed(&device, 3);
        let encoder = config.init::<B>(&device);
        let rig = CameraRig::nuscenes_like(32, 16);
        let (x, rays) = (images(&rig, 2), patch_rays::<B>(&rig, 16, &device));
        let before = encoder.forward(x.clone(), rays.clone()).to_data();
        let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
        let bytes = recorder.record(encoder.into_record(), ()).unwrap();
        B::seed(&device, 99);
        let fresh = config.init::<B>(&device);
        let record = recorder.load(bytes, &device).unwrap();
        let loaded = fresh.load_record(record);
        assert_eq!(loaded.forward(x, rays).to_data(), before);
    }
}
