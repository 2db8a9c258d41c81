//! The live logs of a drive (MCAP and Rerun), written on a thread of their
//! own: JPEG encoding is no work for the control loop.

use anyhow::Result;
use vla_datasets::log::LogRecorder;
use vla_hal::{HalError, Observation, StackOutput};

use crate::recording::Recorder;

/// Items the live log may hold in its queue (about 5 s of control ticks).
pub const RECORD_QUEUE: usize = 256;

/// What the recorder thread writes.
pub enum Record {
    Tick(Box<(Observation, StackOutput, Option<HalError>)>),
    Reasoning { t: u64, frame_ns: u64, text: String },
}

pub fn record_loop(
    mut mcap: Option<LogRecorder>,
    mut rerun: Option<Recorder>,
    items: std::sync::mpsc::Receiver<Record>,
) -> Result<()> {
    for item in items {
        match item {
            Record::Tick(tick) => {
                let (obs, out, error) = *tick;
                if let Some(m) = mcap.as_mut() {
                    m.on_tick(&obs, &out, error.as_ref())?;
                }
                if let Some(r) = rerun.as_mut() {
                    r.on_tick(&obs, &out, error.as_ref())?;
                }
            }
            Record::Reasoning { t, frame_ns, text } => {
                if let Some(m) = mcap.as_mut() {
                    m.write_reasoning(t, frame_ns, &text)?;
                }
                if let Some(r) = rerun.as_ref() {
                    r.log_reasoning(frame_ns, &text)?;
                }
            }
        }
    }
    if let Some(m) = mcap {
        m.finish()?;
    }
    if let Some(r) = rerun {
        r.finish()?;
    }
    Ok(())
}
