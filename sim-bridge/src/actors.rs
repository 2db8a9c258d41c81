//! Traffic participants at run time: vehicles on lanes, pedestrians on
//! walking paths, static obstacles.

use vla_hal::{Box3D, ObjectClass, Pose2D};

use crate::idm::{IdmParams, Leader};
use crate::polyline::Polyline;

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

/// How an actor moves.
#[derive(Debug, Clone)]
pub enum Motion {
    /// Along a lane path with IDM; `s` is the arc length of the box centre.
    LaneFollowing {
        path: Polyline,
        s: f64,
        speed_mps: f64,
        desired_speed_mps: f64,
        idm: IdmParams,
    },
    /// Along a walking path at constant speed from `start_time_s`.
    Walking {
        path: Polyline,
        s: f64,
        speed_mps: f64,
        start_time_s: f64,
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

impl Actor {
    /// `world_from_actor`: pose of the box centre on the ground.
    pub fn pose(&self) -> Pose2D {
        match &self.motion {
            Motion::LaneFollowing { path, s, .. } | Motion::Walking { path, s, .. } => {
                let p = path.at(*s);
                Pose2D::new(p.x, p.y, p.heading)
            }
            Motion::Static { pose } => *pose,
        }
    }

    /// Speed along the actor's heading (m/s).
    pub fn speed(&self, time_s: f64) -> f64 {
        match &self.motion {
            Motion::LaneFollowing { speed_mps, .. } => *speed_mps,
            Motion::Walking { path, s, speed_mps, start_time_s } => {
                if time_s >= *start_time_s && *s < path.length() {
                    *speed_mps
                } else {
                    0.0
                }
            }
            Motion::Static { .. } => 0.0,
        }
    }

    /// The world-frame box, with velocity.
    pub fn world_box(&self, time_s: f64) -> Box3D {
        let pose = self.pose();
        let v = self.speed(time_s);
        Box3D {
            center: [pose.x, pose.y, self.size[2] / 2.0],
            size: self.size,
            yaw: pose.yaw,
            velocity: [v * pose.yaw.cos(), v * pose.yaw.sin()],
        }
    }

    /// Whether a lane follower has driven off the end of its path.
    pub fn left_the_map(&self) -> bool {
        matches!(&self.motion, Motion::LaneFollowing { path, s, .. } if *s >= path.length() - 0.01)
    }

    /// Advances the actor by `dt`; `leader` is what lane followers see ahead.
    pub fn step(&mut self, time_s: f64, dt: f64, leader: Option<Leader>) {
        match &mut self.motion {
            Motion::LaneFollowing { path, s, speed_mps, desired_speed_mps, idm } => {
                let a = idm.acceleration(*speed_mps, *desired_speed_mps, leader);
                let v1 = (*speed_mps + a * dt).max(0.0);
                *s = (*s + 0.5 * (*speed_mps + v1) * dt).min(path.length());
                *speed_mps = v1;
            }
            Motion::Walking { path, s, speed_mps, start_time_s } => {
                if time_s >= *start_time_s {
                    *s = (*s + *speed_mps * dt).min(path.length());
                }
            }
            Motion::Static { .. } => {}
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
