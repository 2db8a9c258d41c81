//! Baseline planners that need no model.

use vla_hal::{HalError, Observation, Plan, Planner, Trajectory, Waypoint, trajectory::TRAJECTORY_STEPS};

/// Constant velocity along the route's lane centre line: the ego keeps its
/// speed and follows the lane, blind to every object. The worst case the
/// guard must survive, and the floor every learned planner must beat.
#[derive(Debug)]
pub struct ConstantVelocityPlanner {
    /// The speed the plan holds, as a fraction of the current speed (1:
    /// constant velocity).
    pub speed_scale: f64,
}

impl Default for ConstantVelocityPlanner {
    fn default() -> Self {
        Self { speed_scale: 1.0 }
    }
}

impl Planner for ConstantVelocityPlanner {
    fn name(&self) -> &str {
        "cv"
    }

    fn plan(&mut self, obs: &Observation) -> Result<Plan, HalError> {
        let v = obs.ego.speed_mps.max(0.0) * self.speed_scale;
        let start = obs.route.ego_distance();
        let mut waypoints = [Waypoint::default(); TRAJECTORY_STEPS];
        for (i, w) in waypoints.iter_mut().enumerate() {
            let d = v * Trajectory::time_of(i);
            // Without a map: straight on along the current heading.
            let (x, y, heading) = start.and_then(|s0| obs.route.point_at(s0 + d)).unwrap_or((d, 0.0, 0.0));
            *w = Waypoint { x, y, heading };
        }
        Ok(Plan::of_trajectory(obs.timestamp_ns, obs.ego.pose, Trajectory { waypoints }))
    }
}
