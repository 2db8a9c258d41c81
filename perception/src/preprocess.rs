//! Camera frames to a normalised `[cameras, 3, height, width]` tensor.

use burn::tensor::{Tensor, TensorData, backend::Backend};
use thiserror::Error;
use vla_hal::{CameraFrame, CameraName, CameraRig, HalError, RgbImage};

/// Per-channel mean and standard deviation the images are normalised with
/// (ImageNet statistics, the usual choice for convolutional stems).
pub const CHANNEL_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const CHANNEL_STD: [f32; 3] = [0.229, 0.224, 0.225];

#[derive(Debug, Error)]
pub enum PerceptionError {
    #[error("no frame from camera {0} in this observation")]
    MissingCamera(CameraName),
    #[error(transparent)]
    Frame(#[from] HalError),
}

/// Stacks one frame per rig camera, in the rig's order, into a tensor of
/// normalised RGB. Every image must have the size its calibration declares.
pub fn images_to_tensor<B: Backend>(
    frames: &[CameraFrame],
    rig: &CameraRig,
    device: &B::Device,
) -> Result<Tensor<B, 4>, PerceptionError> {
    let (w, h) = rig.cameras.first().map_or((0, 0), |c| (c.intrinsics.width as usize, c.intrinsics.height as usize));
    let mut values = Vec::with_capacity(rig.cameras.len() * 3 * w * h);
    for calibration in &rig.cameras {
        let frame = frames
            .iter()
            .find(|f| f.camera == calibration.name)
            .ok_or(PerceptionError::MissingCamera(calibration.name))?;
        frame.validate(calibration)?;
        push_normalised_planes(&frame.image, &mut values);
    }
    let data = TensorData::new(values, [rig.cameras.len(), 3, h, w]);
    Ok(Tensor::from_data(data, device))
}

/// Appends an interleaved RGB image as three normalised planes (R, G, B),
/// the layout the encoder's first convolution reads.
pub fn push_normalised_planes(image: &RgbImage, values: &mut Vec<f32>) {
    for (c, (mean, std)) in CHANNEL_MEAN.iter().zip(CHANNEL_STD).enumerate() {
        values.extend(image.data.iter().skip(c).step_by(3).map(|&v| (v as f32 / 255.0 - mean) / std));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;

    fn frame(camera: CameraName, w: u32, h: u32, rgb: [u8; 3]) -> CameraFrame {
        let mut image = RgbImage::new(w, h);
        for px in image.data.chunks_mut(3) {
            px.copy_from_slice(&rgb);
        }
        CameraFrame { camera, timestamp_ns: 0, image }
    }

    #[test]
    fn stacks_in_rig_order_and_normalises() {
        let rig = CameraRig::nuscenes_like(4, 2);
        // Given in reverse order; the tensor follows the rig.
        let frames: Vec<CameraFrame> =
            CameraName::ALL.iter().rev().enumerate().map(|(i, &n)| frame(n, 4, 2, [(i * 40) as u8, 0, 255])).collect();
        let t = images_to_tensor::<CpuBackend>(&frames, &rig, &Default::default()).unwrap();
        assert_eq!(t.dims(), [6, 3, 2, 4]);
        let v: Vec<f32> = t.into_data().to_vec().unwrap();
        // Camera 0 of the rig (CAM_FRONT) came last: red = 5 * 40 = 200.
        let red = (200.0 / 255.0 - CHANNEL_MEAN[0]) / CHANNEL_STD[0];
        assert!((v[0] - red).abs() < 1e-6);
        // Its blue channel starts after 2 planes of 8 pixels.
        assert!((v[16] - (1.0 - CHANNEL_MEAN[2]) / CHANNEL_STD[2]).abs() < 1e-6);
    }

    #[test]
    fn missing_or_wrong_sized_frames_are_named() {
        let rig = CameraRig::nuscenes_like(4, 2);
        let mut frames: Vec<CameraFrame> = CameraName::ALL.iter().map(|&n| frame(n, 4, 2, [0, 0, 0])).collect();
        frames.pop();
        let err = images_to_tensor::<CpuBackend>(&frames, &rig, &Default::default()).unwrap_err().to_string();
        assert!(err.contains("CAM_BACK_RIGHT"), "{err}");
        frames.push(frame(CameraName::CAM_BACK_RIGHT, 3, 2, [0, 0, 0]));
        let err = images_to_tensor::<CpuBackend>(&frames, &rig, &Default::default()).unwrap_err().to_string();
        assert!(err.contains("CAM_BACK_RIGHT") && err.contains("3x2"), "{err}");
    }
}
