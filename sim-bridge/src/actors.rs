//! Traffic participants at run time: vehicles on lanes with their
//! behaviours, pedestrians on walking paths, static obstacles; and the
//! triggers that start a behaviour.

use vla_hal::{Box3D, ObjectClass, Pose2D};

use crate::idm::{IdmParams, Leader};
use crate::polyline::Polyline;
use crate::scenario::{Side, Trigger};

/// Outer dimensions (length, width, height in m) typical of a class.
pub fn class_size(class: ObjectClass) -> [f64; 3] {
    match class {
        ObjectClass::Car => [4.5, 1.85, 1.5],
        ObjectClass::Truck => [8.0, 2.5, 3.2],
        ObjectClass::Bus => [12.0, 2.55, 3.2],
        ObjectClass::Cyclist => [1.8, 0.6, 1.7],
        ObjectClass::Pedestrian => [0.5, 0.6, 1.75],
        ObjectClass::Barrier => [0.5, 0.5, 0.9],
    }
}

/// What a trigger can look at, computed by the world each step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TriggerContext {
    pub time_s: f64,
    /// Centre distance between the actor and the ego (m).
    pub distance_to_ego_m: f64,
    /// The ego's time-to-collision with the actor (s), if it closes in.
    pub ttc_to_ego_s: Option<f64>,
    /// Lateral position of the ego relative to the actor's lane path (m,
    /// left positive): where a cut-in goes.
    pub ego_lateral_m: f64,
}

impl Trigger {
    pub fn fires(&self, ctx: &TriggerContext) -> bool {
        match *self {
            Trigger::Time { at_s } => ctx.time_s >= at_s - 1e-9,
            Trigger::DistanceToEgo { below_m } => ctx.distance_to_ego_m <= below_m,
            Trigger::TtcToEgo { below_s } => ctx.ttc_to_ego_s.is_some_and(|t| t <= below_s),
        }
    }
}

/// The longitudinal law of a vehicle and the state of its behaviour.
#[derive(Debug, Clone, PartialEq)]
pub enum Drive {
    Idm {
        desired_speed_mps: f64,
    },
    ConstantSpeed,
    /// Cruise, then brake at `decel_mps2` once triggered; `stopped_at` is
    /// when it came to rest, and it resumes after `resume_after_s`.
    BrakeToStop {
        decel_mps2: f64,
        trigger: Trigger,
        resume_after_s: Option<f64>,
        cruise_speed_mps: f64,
        braking: bool,
        stopped_at: Option<f64>,
    },
    /// IDM, plus a lateral move by `target_offset_m` (resolved when the
    /// trigger fires; `None` for a cut-in, which goes toward the ego).
    LaneChange {
        desired_speed_mps: f64,
        trigger: Trigger,
        side: Option<Side>,
        duration_s: f64,
        /// (start time, start offset, end offset) once triggered.
        started: Option<(f64, f64, f64)>,
    },
}

/// How an actor moves.
#[derive(Debug, Clone, PartialEq)]
pub enum Motion {
    /// Along a lane path; `s` is the arc length of the box centre,
    /// `lateral_offset_m` its shift from the lane centre (left positive).
    OnLane {
        path: Polyline,
        s: f64,
        speed_mps: f64,
        lateral_offset_m: f64,
        /// Rate of change of the lateral offset during a lane change (m/s).
        lateral_rate_mps: f64,
        lane_width_m: f64,
        drive: Drive,
    },
    /// Along a walking path at constant speed once the trigger fires.
    Walking {
        path: Polyline,
        s: f64,
        speed_mps: f64,
        trigger: Trigger,
        walking: bool,
    },
    Static {
        pose: Pose2D,
    },
}

/// One traffic participant.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: u32,
    pub class: ObjectClass,
    /// Length, width, height (m).
    pub size: [f64; 3],
    pub motion: Motion,
    /// Body colour for the renderer (RGB, 0–1).
    pub colour: [f32; 3],
}

/// Smooth 0 → 1 over [0, 1] with zero slope at both ends.
fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

impl Actor {
    /// `world_from_actor`: pose of the box centre on the ground.
    pub fn pose(&self) -> Pose2D {
        match &self.motion {
            Motion::OnLane { path, s, lateral_offset_m, lateral_rate_mps, speed_mps, .. } => {
                let p = path.at(*s);
                let (x, y) = (p.x - lateral_offset_m * p.heading.sin(), p.y + lateral_offset_m * p.heading.cos());
                // Turned into a lane change by its lateral speed.
                let yaw = p.heading + lateral_rate_mps.atan2(speed_mps.max(0.5));
                Pose2D::new(x, y, yaw)
            }
            Motion::Walking { path, s, .. } => {
                let p = path.at(*s);
                Pose2D::new(p.x, p.y, p.heading)
            }
            Motion::Static { pose } => *pose,
        }
    }

    /// Speed along the actor's heading (m/s).
    pub fn speed(&self) -> f64 {
        match &self.motion {
            Motion::OnLane { speed_mps, .. } => *speed_mps,
            Motion::Walking { path, s, speed_mps, walking, .. } => {
                if *walking && *s < path.length() {
                    *speed_mps
                } else {
                    0.0
                }
            }
            Motion::Static { .. } => 0.0,
        }
    }

    /// The world-frame box, with velocity.
    pub fn world_box(&self) -> Box3D {
        let pose = self.pose();
        let v = self.speed();
        Box3D {
            center: [pose.x, pose.y, self.size[2] / 2.0],
            size: self.size,
            yaw: pose.yaw,
            velocity: [v * pose.yaw.cos(), v * pose.yaw.sin()],
        }
    }

    /// The lane path and lateral offset of a vehicle, for leader searches.
    pub fn lane_position(&self) -> Option<(&Polyline, f64, f64)> {
        match &self.motion {
            Motion::OnLane { path, s, lateral_offset_m, .. } => Some((path, *s, *lateral_offset_m)),
            _ => None,
        }
    }

    /// Whether a lane follower has driven off the end of its path.
    pub fn left_the_map(&self) -> bool {
        matches!(&self.motion, Motion::OnLane { path, s, .. } if *s >= path.length() - 0.01)
    }

    /// Advances the actor by `dt`. `leader` is what a vehicle sees ahead in
    /// its lane; `ctx` feeds the triggers.
    pub fn step(&mut self, ctx: &TriggerContext, dt: f64, leader: Option<Leader>, idm: &IdmParams) {
        match &mut self.motion {
            Motion::OnLane { path, s, speed_mps, lateral_offset_m, lateral_rate_mps, lane_width_m, drive } => {
                let a = longitudinal(drive, *speed_mps, leader, idm, ctx);
                let v1 = (*speed_mps + a * dt).max(0.0);
                if let Drive::BrakeToStop { stopped_at, braking: true, .. } = drive
                    && v1 == 0.0
                    && stopped_at.is_none()
                {
                    *stopped_at = Some(ctx.time_s);
                }
                *s = (*s + 0.5 * (*speed_mps + v1) * dt).min(path.length());
                *speed_mps = v1;
                if let Drive::LaneChange { trigger, side, duration_s, started, .. } = drive {
                    if started.is_none() && trigger.fires(ctx) {
                        let toward = match side {
                            Some(Side::Left) => 1.0,
                            Some(Side::Right) => -1.0,
                            None => (ctx.ego_lateral_m - *lateral_offset_m).signum(),
                        };
                        *started = Some((ctx.time_s, *lateral_offset_m, *lateral_offset_m + toward * *lane_width_m));
                    }
                    if let Some((t0, from, to)) = *started {
                        let next = from + (to - from) * smoothstep((ctx.time_s + dt - t0) / *duration_s);
                        *lateral_rate_mps = (next - *lateral_offset_m) / dt;
                        *lateral_offset_m = next;
                    }
                }
            }
            Motion::Walking { path, s, speed_mps, trigger, walking } => {
                if !*walking && trigger.fires(ctx) {
                    *walking = true;
                }
                if *walking {
                    *s = (*s + *speed_mps * dt).min(path.length());
                }
            }
            Motion::Static { .. } => {}
        }
    }
}

/// Acceleration of a vehicle under its drive; updates the behaviour state.
fn longitudinal(drive: &mut Drive, v: f64, leader: Option<Leader>, idm: &IdmParams, ctx: &TriggerContext) -> f64 {
    match drive {
        Drive::Idm { desired_speed_mps } | Drive::LaneChange { desired_speed_mps, .. } => {
            idm.acceleration(v, *desired_speed_mps, leader)
        }
        Drive::ConstantSpeed => 0.0,
        Drive::BrakeToStop { decel_mps2, trigger, resume_after_s, cruise_speed_mps, braking, stopped_at } => {
            if !*braking && trigger.fires(ctx) {
                *braking = true;
            }
            match (*braking, *stopped_at, *resume_after_s) {
                (false, _, _) => 0.0,
                (true, Some(t), Some(wait)) if ctx.time_s - t >= wait => {
                    // Drive off again like traffic does, with IDM.
                    idm.acceleration(v, *cruise_speed_mps, leader)
                }
                (true, Some(_), _) => 0.0,
                (true, None, _) => -*decel_mps2,
            }
        }
    }
}

/// A distinct, deterministic body colour per actor.
pub fn colour_for(class: ObjectClass, id: u32) -> [f32; 3] {
    const CAR_PAINTS: [[f32; 3]; 6] = [
        [0.75, 0.12, 0.10],
        [0.12, 0.25, 0.65],
        [0.85, 0.85, 0.82],
        [0.10, 0.10, 0.12],
        [0.55, 0.57, 0.60],
        [0.15, 0.45, 0.25],
    ];
    match class {
        ObjectClass::Pedestrian => [0.20, 0.30, 0.55],
        ObjectClass::Cyclist => [0.9, 0.7, 0.1],
        ObjectClass::Barrier => [1.0, 0.45, 0.05],
        ObjectClass::Truck | ObjectClass::Bus => [0.9, 0.9, 0.9],
        ObjectClass::Car => CAR_PAINTS[id as usize % CAR_PAINTS.len()],
    }
}
