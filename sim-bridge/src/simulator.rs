//! The simulator as the stack's vehicle: a [`SensorSource`] that yields the
//! ego state, camera images, guard-sensor list and ground truth every tick,
//! and an [`Actuator`] that advances the world with the guarded command.

use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use vla_hal::{
    Actuator, CameraRig, GuardedCommand, HalError, Observation, SensorSource,
    time::{nanos_to_secs, secs_to_nanos},
};

use crate::error::SimError;
use crate::metrics::{NcapBand, driving_score, ncap_band};
use crate::radar::{RadarConfig, measure};
use crate::render::Renderer;
use crate::scenario::Scenario;
use crate::world::{Collision, World};

/// Rates, resolution and seed of a simulation run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// Control and physics tick (s).
    pub tick_s: f64,
    /// Cameras produce a frame every this many ticks.
    pub camera_every_ticks: u64,
    /// Render camera images at all (privileged planners do not need them).
    pub render_cameras: bool,
    pub image_width: u32,
    pub image_height: u32,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { tick_s: 0.05, camera_every_ticks: 2, render_cameras: true, image_width: 256, image_height: 144, seed: 0 }
    }
}

/// What happened in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimSummary {
    pub scenario: String,
    pub seed: u64,
    pub collisions: usize,
    pub collided_with: Vec<Collision>,
    /// Smallest longitudinal time-to-collision seen (s); `null` if nothing closed in.
    pub min_ttc_s: Option<f64>,
    pub distance_m: f64,
    pub duration_s: f64,
    pub route_completion: f64,
    pub off_road: bool,
    pub max_decel_mps2: f64,
    pub max_jerk_mps3: f64,
    pub max_lat_accel_mps2: f64,
    /// Route completion times infraction penalties (see [`crate::metrics`]).
    pub driving_score: f64,
    /// Euro NCAP-style outcome, for scenarios that reproduce a Euro NCAP test.
    pub euro_ncap: Option<NcapOutcome>,
}

/// How a Euro NCAP test went: its band and score fraction by impact speed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NcapOutcome {
    pub test: String,
    pub speed_kmh: f64,
    pub band: NcapBand,
    pub score: f64,
}

/// The built-in simulator, source and sink of the closed loop.
pub struct Simulator {
    pub world: World,
    config: SimConfig,
    rig: Arc<CameraRig>,
    renderer: Option<Renderer>,
    radar: RadarConfig,
    rng: ChaCha8Rng,
    tick: u64,
}

impl Simulator {
    pub fn new(scenario: Scenario, config: SimConfig) -> Result<Self, SimError> {
        let rig = CameraRig::nuscenes_like(config.image_width, config.image_height);
        Self::with_rig(scenario, config, rig)
    }

    /// A simulator whose cameras are `rig` (a vehicle's calibration file);
    /// each camera renders at its own resolution.
    pub fn with_rig(scenario: Scenario, config: SimConfig, rig: CameraRig) -> Result<Self, SimError> {
        let sizes = 16..=4096;
        if !sizes.contains(&config.image_width) || !sizes.contains(&config.image_height) {
            return Err(SimError::Config(format!(
                "camera image size {}x{} is outside 16..=4096 pixels per side",
                config.image_width, config.image_height
            )));
        }
        if !(config.tick_s > 0.0 && config.tick_s <= 0.2) {
            return Err(SimError::Config(format!("tick of {} s is outside (0, 0.2] s", config.tick_s)));
        }
        let world = World::new(scenario)?;
        let rig = Arc::new(rig);
        let renderer = config.render_cameras.then(|| Renderer::new(&world, &rig));
        Ok(Self {
            world,
            config,
            rig,
            renderer,
            radar: RadarConfig::default(),
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            tick: 0,
        })
    }

    pub fn rig(&self) -> &Arc<CameraRig> {
        &self.rig
    }

    pub fn summary(&self) -> SimSummary {
        let w = &self.world;
        let route_completion = w.route_completion();
        let euro_ncap = w.scenario.euro_ncap.as_ref().map(|case| {
            let (band, score) = ncap_band(case, w.collisions.first().map(|c| c.impact_speed_mps));
            NcapOutcome { test: case.test.clone(), speed_kmh: case.speed_kmh, band, score }
        });
        SimSummary {
            scenario: self.world.scenario.name.clone(),
            seed: self.config.seed,
            collisions: self.world.collisions.len(),
            collided_with: self.world.collisions.clone(),
            min_ttc_s: self.world.min_ttc_s,
            distance_m: self.world.distance_m,
            duration_s: self.world.time_s,
            route_completion,
            off_road: w.motion.off_road,
            max_decel_mps2: w.motion.max_decel_mps2,
            max_jerk_mps3: w.motion.max_jerk_mps3,
            max_lat_accel_mps2: w.motion.max_lat_accel_mps2,
            driving_score: driving_score(route_completion, &w.collisions, w.motion.off_road),
            euro_ncap,
        }
    }

    fn now_ns(&self) -> u64 {
        secs_to_nanos(self.tick as f64 * self.config.tick_s)
    }

    /// Renders the six cameras now, whatever the camera schedule.
    pub fn render_cameras(&mut self) -> Vec<vla_hal::CameraFrame> {
        let now = self.now_ns();
        match self.renderer.as_mut() {
            Some(r) => r.render(&self.world, now),
            None => Vec::new(),
        }
    }
}

impl SensorSource for Simulator {
    fn observe(&mut self) -> Result<Option<Observation>, HalError> {
        if self.world.finished() {
            return Ok(None);
        }
        let now = self.now_ns();
        let cameras = if self.tick.is_multiple_of(self.config.camera_every_ticks.max(1)) {
            self.render_cameras()
        } else {
            Vec::new()
        };
        let obstacles = measure(&self.world, &self.radar, &mut self.rng);
        Ok(Some(Observation {
            timestamp_ns: now,
            ego: self.world.ego_state(),
            cameras,
            rig: Arc::clone(&self.rig),
            route: self.world.route_input(),
            guard_obstacles: Some((now, obstacles)),
            ground_truth: Some(self.world.ground_truth()),
            events: self.world.take_events(),
        }))
    }
}

impl Actuator for Simulator {
    fn actuate(&mut self, command: &GuardedCommand) -> Result<(), HalError> {
        self.world.step(command.command(), self.config.tick_s);
        self.tick += 1;
        debug_assert!((nanos_to_secs(self.now_ns()) - self.world.time_s).abs() < 1e-6);
        Ok(())
    }
}
