//! Frame assembly: each camera is its own device on its own bounded
//! channel; every control tick takes the newest frame of each (older ones
//! are dropped, never queued) and groups the cameras whose frames lie
//! within the sync tolerance of the newest. A camera with no fresh frame
//! is missing: planning goes on without it, degraded, and says so.

use std::collections::BTreeMap;

use tokio::sync::mpsc::Receiver;
use vla_hal::{CameraFrame, CameraName};

pub struct FrameAssembler {
    inputs: Vec<(CameraName, Receiver<CameraFrame>)>,
    /// The newest frame of each camera, and whether a planning cycle took it.
    newest: BTreeMap<CameraName, (CameraFrame, bool)>,
    sync_ns: u64,
    stale_ns: u64,
    /// Frames replaced by a newer one before a planning cycle took them.
    pub dropped: u64,
}

/// The cameras for one planning cycle.
#[derive(Debug, Clone)]
pub struct FrameSet {
    pub frames: Vec<CameraFrame>,
    /// Cameras with no usable frame: silent, frozen or out of sync.
    pub missing: Vec<CameraName>,
}

impl FrameAssembler {
    pub fn new(inputs: Vec<(CameraName, Receiver<CameraFrame>)>, sync_ns: u64, stale_ns: u64) -> Self {
        Self { inputs, newest: BTreeMap::new(), sync_ns, stale_ns, dropped: 0 }
    }

    /// Takes whatever the cameras delivered since the last call.
    pub fn drain(&mut self) {
        for (name, rx) in &mut self.inputs {
            while let Ok(frame) = rx.try_recv() {
                if let Some((_, false)) = self.newest.insert(*name, (frame, false)) {
                    self.dropped += 1;
                }
            }
        }
    }

    /// The newest set at `now_ns` for a planning cycle: frames neither
    /// stale nor out of sync with the newest one.
    pub fn assemble(&mut self, now_ns: u64) -> FrameSet {
        let stale_ns = self.stale_ns;
        let fresh = |f: &CameraFrame| now_ns.saturating_sub(f.timestamp_ns) <= stale_ns;
        let newest_t =
            self.newest.values().map(|(f, _)| f).filter(|f| fresh(f)).map(|f| f.timestamp_ns).max().unwrap_or(0);
        let mut frames = Vec::new();
        for (f, taken) in self.newest.values_mut() {
            if fresh(f) && newest_t - f.timestamp_ns <= self.sync_ns {
                *taken = true;
                frames.push(f.clone());
            }
        }
        let missing = self
            .inputs
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| !frames.iter().any(|f| f.camera == *name))
            .collect();
        FrameSet { frames, missing }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::channel;
    use vla_hal::RgbImage;

    fn frame(camera: CameraName, t_ms: u64) -> CameraFrame {
        CameraFrame { camera, timestamp_ns: t_ms * 1_000_000, image: RgbImage::new(2, 2) }
    }

    #[test]
    fn late_silent_and_frozen_cameras_are_missing_and_old_frames_dropped() {
        let (front_tx, front_rx) = channel(2);
        let (back_tx, back_rx) = channel(2);
        let (left_tx, left_rx) = channel(2);
        let inputs = vec![
            (CameraName::CAM_FRONT, front_rx),
            (CameraName::CAM_BACK, back_rx),
            (CameraName::CAM_FRONT_LEFT, left_rx),
        ];
        let mut a = FrameAssembler::new(inputs, 30_000_000, 250_000_000);
        front_tx.try_send(frame(CameraName::CAM_FRONT, 900)).unwrap();
        front_tx.try_send(frame(CameraName::CAM_FRONT, 1000)).unwrap();
        back_tx.try_send(frame(CameraName::CAM_BACK, 990)).unwrap();
        // Frozen: a frame from long ago.
        left_tx.try_send(frame(CameraName::CAM_FRONT_LEFT, 500)).unwrap();
        a.drain();
        let set = a.assemble(1_010_000_000);
        assert_eq!(set.frames.len(), 2);
        assert_eq!(set.frames.iter().find(|f| f.camera == CameraName::CAM_FRONT).unwrap().timestamp_ns, 1_000_000_000);
        assert_eq!(set.missing, [CameraName::CAM_FRONT_LEFT]);
        assert_eq!(a.dropped, 1, "the older front frame was replaced unused, not queued");
        // Out of sync: the back camera lags 60 ms behind the front one.
        front_tx.try_send(frame(CameraName::CAM_FRONT, 1100)).unwrap();
        back_tx.try_send(frame(CameraName::CAM_BACK, 1040)).unwrap();
        a.drain();
        let set = a.assemble(1_100_000_000);
        assert!(set.missing.contains(&CameraName::CAM_BACK), "{:?}", set.missing);
    }
}
