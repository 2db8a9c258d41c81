//! Scenario files: a documented TOML format (see `scenarios/README.md`),
//! loaded from a path or by the name of a scenario in the built-in library.
//! Loading checks every field and names the file, the field and what was
//! expected when something is wrong.

use std::path::Path;

use serde::{Deserialize, Serialize};
use vla_hal::{ObjectClass, RoutingCommand};

use crate::error::SimError;
use crate::road::{Direction, RoadLayout};

/// A lane named by its road segment, direction and index (0 = next to the
/// centre line).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneRef {
    pub segment: usize,
    pub direction: Direction,
    pub index: usize,
}

/// From `from_m` metres along the route (counted from the ego's start), the
/// stack hears `command`. Turn commands also choose the manoeuvre at the
/// next intersection; lane-change commands move the route one lane over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingStep {
    pub from_m: f64,
    pub command: RoutingCommand,
}

/// Where and how fast the ego starts, and where it is routed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgoStart {
    pub lane: LaneRef,
    /// Arc length along the start lane (m).
    pub s_m: f64,
    pub speed_mps: f64,
    /// Desired cruising speed (m/s); the lane's limit caps it. Defaults to
    /// `speed_mps`.
    #[serde(default)]
    pub cruise_speed_mps: Option<f64>,
    /// Routing instructions along the way; none means "keep lane".
    #[serde(default)]
    pub routing: Vec<RoutingStep>,
    /// Length of the route to drive (m); defaults to the end of the road.
    #[serde(default)]
    pub route_length_m: Option<f64>,
}

impl EgoStart {
    pub fn cruise_speed(&self) -> f64 {
        self.cruise_speed_mps.unwrap_or(self.speed_mps)
    }
}

/// When a behaviour starts. Fires once and stays fired.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// At a simulation time (s).
    Time { at_s: f64 },
    /// When the centre distance between the actor and the ego drops below `below_m`.
    DistanceToEgo { below_m: f64 },
    /// When the ego's time-to-collision with the actor drops below `below_s`.
    TtcToEgo { below_s: f64 },
}

impl Default for Trigger {
    fn default() -> Self {
        Trigger::Time { at_s: 0.0 }
    }
}

/// Which way a vehicle leaves its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Left,
    Right,
}

/// How a vehicle drives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum VehicleBehaviour {
    /// Lane following with IDM at the initial speed, or `desired_speed_mps`.
    #[default]
    Idm,
    /// Holds its initial speed whatever is ahead.
    ConstantSpeed,
    /// Holds its speed, then brakes at `decel_mps2` to a stop when the
    /// trigger fires; drives off again after `resume_after_s` if given.
    BrakeToStop {
        decel_mps2: f64,
        trigger: Trigger,
        #[serde(default)]
        resume_after_s: Option<f64>,
    },
    /// Changes into the ego's lane (toward the ego's side) when the trigger
    /// fires, taking `duration_s` for the lateral move.
    CutIn { trigger: Trigger, duration_s: f64 },
    /// Leaves its lane to `side` when the trigger fires.
    CutOut { side: Side, trigger: Trigger, duration_s: f64 },
}

/// A traffic participant and how it behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActorSpec {
    /// A vehicle on a lane (following it through intersections by `turns`).
    Vehicle {
        #[serde(default = "default_vehicle_class")]
        class: ObjectClass,
        lane: LaneRef,
        s_m: f64,
        speed_mps: f64,
        /// Desired speed of the IDM behaviours; defaults to `speed_mps`.
        #[serde(default)]
        desired_speed_mps: Option<f64>,
        /// Sideways shift from the lane centre, left positive (m): offsets
        /// such as Euro NCAP's 50 % overlap.
        #[serde(default)]
        lateral_offset_m: f64,
        #[serde(default)]
        behaviour: VehicleBehaviour,
        #[serde(default)]
        turns: Vec<crate::road::Turn>,
    },
    /// Walks along `path` (world points) at `speed_mps` once the trigger
    /// fires, and stands still at its end. `size` overrides the adult
    /// default (e.g. a child).
    Pedestrian {
        path: Vec<[f64; 2]>,
        speed_mps: f64,
        #[serde(default)]
        trigger: Trigger,
        #[serde(default)]
        size: Option<[f64; 3]>,
    },
    /// Does not move: parked cars, broken-down vehicles, cones.
    Static {
        class: ObjectClass,
        position: [f64; 2],
        #[serde(default)]
        yaw_deg: f64,
        #[serde(default)]
        size: Option<[f64; 3]>,
    },
}

fn default_vehicle_class() -> ObjectClass {
    ObjectClass::Car
}

/// Light conditions of the renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lighting {
    #[default]
    Day,
    Dusk,
    Night,
}

/// Lighting and weather.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(default)]
    pub lighting: Lighting,
    /// Meteorological visibility in fog (m); absent for clear air.
    #[serde(default)]
    pub fog_visibility_m: Option<f64>,
}

/// When a run ends before `duration_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndConditions {
    /// End at the first collision of the ego.
    #[serde(default = "yes")]
    pub on_collision: bool,
    /// End when the ego reaches the end of its route.
    #[serde(default = "yes")]
    pub on_route_complete: bool,
    /// End once the ego has stood still this long (s).
    #[serde(default)]
    pub after_ego_stopped_s: Option<f64>,
}

impl Default for EndConditions {
    fn default() -> Self {
        Self { on_collision: true, on_route_complete: true, after_ego_stopped_s: None }
    }
}

fn yes() -> bool {
    true
}

/// A Euro NCAP test this scenario reproduces, for scoring by impact speed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EuroNcapCase {
    /// Test family: CCRs, CCRm, CCRb, CPNA, CPFA, CPNC, CPLA.
    pub test: String,
    /// Ego test speed (km/h).
    pub speed_kmh: f64,
    /// Speed of a target moving the same way (km/h): the speed reduction is
    /// scored against the closing speed `speed_kmh - target_speed_kmh`.
    #[serde(default)]
    pub target_speed_kmh: f64,
}

/// One complete scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Suites this scenario belongs to besides `all`.
    #[serde(default)]
    pub suites: Vec<String>,
    /// Whether an ideal driver (full braking at 9 m/s² from the moment the
    /// threat is visible) can avoid every collision.
    #[serde(default = "yes")]
    pub avoidable: bool,
    /// Whether anything threatens the ego at all (false for clear roads).
    #[serde(default = "yes")]
    pub threat: bool,
    #[serde(default)]
    pub euro_ncap: Option<EuroNcapCase>,
    pub duration_s: f64,
    pub road: RoadLayout,
    pub ego: EgoStart,
    #[serde(default)]
    pub actors: Vec<ActorSpec>,
    #[serde(default)]
    pub environment: Environment,
    #[serde(default)]
    pub end: EndConditions,
}

impl Scenario {
    /// Parses and checks a scenario; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, SimError> {
        let scenario: Scenario = toml::from_str(text)
            .map_err(|e| SimError::ScenarioFile { file: origin.to_string(), reason: e.to_string() })?;
        scenario.check().map_err(|(field, reason)| SimError::ScenarioField {
            file: origin.to_string(),
            field,
            reason,
        })?;
        Ok(scenario)
    }

    /// Reads a scenario file.
    pub fn from_file(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::ScenarioFile { file: path.display().to_string(), reason: e.to_string() })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Value checks that the format alone cannot express.
    fn check(&self) -> Result<(), (String, String)> {
        let positive = |field: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err((field.to_string(), format!("is {v}, expected a positive number")))
            }
        };
        let non_negative = |field: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err((field.to_string(), format!("is {v}, expected a number >= 0")))
            }
        };
        positive("duration_s", self.duration_s)?;
        match self.road {
            RoadLayout::Straight { length_m, lanes_per_direction, speed_limit_mps } => {
                positive("road.length_m", length_m)?;
                lanes("road.lanes_per_direction", lanes_per_direction)?;
                positive("road.speed_limit_mps", speed_limit_mps)?;
            }
            RoadLayout::Curve { radius_m, angle_deg, lead_in_m, lead_out_m, lanes_per_direction, speed_limit_mps } => {
                positive("road.radius_m", radius_m)?;
                if !(angle_deg.is_finite() && angle_deg != 0.0 && angle_deg.abs() <= 180.0) {
                    return Err((
                        "road.angle_deg".into(),
                        format!("is {angle_deg}, expected a non-zero angle within ±180"),
                    ));
                }
                if radius_m <= lanes_per_direction as f64 * crate::road::LANE_WIDTH_M + 5.0 {
                    return Err(("road.radius_m".into(), format!("is {radius_m}, too tight for the road's width")));
                }
                non_negative("road.lead_in_m", lead_in_m)?;
                non_negative("road.lead_out_m", lead_out_m)?;
                lanes("road.lanes_per_direction", lanes_per_direction)?;
                positive("road.speed_limit_mps", speed_limit_mps)?;
            }
            RoadLayout::Intersection { arm_length_m, lanes_per_direction, speed_limit_mps } => {
                positive("road.arm_length_m", arm_length_m)?;
                lanes("road.lanes_per_direction", lanes_per_direction)?;
                positive("road.speed_limit_mps", speed_limit_mps)?;
            }
        }
        non_negative("ego.s_m", self.ego.s_m)?;
        non_negative("ego.speed_mps", self.ego.speed_mps)?;
        if let Some(v) = self.ego.cruise_speed_mps {
            positive("ego.cruise_speed_mps", v)?;
        }
        if let Some(v) = self.ego.route_length_m {
            positive("ego.route_length_m", v)?;
        }
        for (i, step) in self.ego.routing.iter().enumerate() {
            non_negative(&format!("ego.routing[{i}].from_m"), step.from_m)?;
        }
        for (i, actor) in self.actors.iter().enumerate() {
            check_actor(actor, &format!("actors[{i}]"))?;
        }
        if let Some(v) = self.environment.fog_visibility_m {
            positive("environment.fog_visibility_m", v)?;
        }
        if let Some(v) = self.end.after_ego_stopped_s {
            positive("end.after_ego_stopped_s", v)?;
        }
        Ok(())
    }
}

fn lanes(field: &str, n: usize) -> Result<(), (String, String)> {
    if (1..=4).contains(&n) { Ok(()) } else { Err((field.to_string(), format!("is {n}, expected 1 to 4 lanes"))) }
}

fn check_trigger(t: &Trigger, field: &str) -> Result<(), (String, String)> {
    let (name, v) = match *t {
        Trigger::Time { at_s } => ("at_s", at_s),
        Trigger::DistanceToEgo { below_m } => ("below_m", below_m),
        Trigger::TtcToEgo { below_s } => ("below_s", below_s),
    };
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err((format!("{field}.{name}"), format!("is {v}, expected a number >= 0")))
    }
}

fn check_actor(actor: &ActorSpec, field: &str) -> Result<(), (String, String)> {
    let finite = |name: &str, v: f64, min: f64| {
        if v.is_finite() && v >= min {
            Ok(())
        } else {
            Err((format!("{field}.{name}"), format!("is {v}, expected a finite number >= {min}")))
        }
    };
    match actor {
        ActorSpec::Vehicle { s_m, speed_mps, desired_speed_mps, lateral_offset_m, behaviour, .. } => {
            finite("s_m", *s_m, 0.0)?;
            finite("speed_mps", *speed_mps, 0.0)?;
            if let Some(v) = desired_speed_mps {
                finite("desired_speed_mps", *v, 0.0)?;
            }
            finite("lateral_offset_m", lateral_offset_m.abs(), 0.0)?;
            match behaviour {
                VehicleBehaviour::Idm | VehicleBehaviour::ConstantSpeed => {}
                VehicleBehaviour::BrakeToStop { decel_mps2, trigger, resume_after_s } => {
                    finite("behaviour.decel_mps2", *decel_mps2, 0.1)?;
                    check_trigger(trigger, &format!("{field}.behaviour.trigger"))?;
                    if let Some(v) = resume_after_s {
                        finite("behaviour.resume_after_s", *v, 0.0)?;
                    }
                }
                VehicleBehaviour::CutIn { trigger, duration_s }
                | VehicleBehaviour::CutOut { trigger, duration_s, .. } => {
                    finite("behaviour.duration_s", *duration_s, 0.5)?;
                    check_trigger(trigger, &format!("{field}.behaviour.trigger"))?;
                }
            }
        }
        ActorSpec::Pedestrian { path, speed_mps, trigger, size } => {
            if path.len() < 2 {
                return Err((format!("{field}.path"), format!("has {} points, expected at least 2", path.len())));
            }
            if path.iter().flatten().any(|v| !v.is_finite()) {
                return Err((format!("{field}.path"), "holds a value that is not a finite number".into()));
            }
            let length: f64 = path.windows(2).map(|p| (p[1][0] - p[0][0]).hypot(p[1][1] - p[0][1])).sum();
            if length < 0.1 {
                return Err((
                    format!("{field}.path"),
                    format!("is {length:.2} m long, expected a path of some length"),
                ));
            }
            finite("speed_mps", *speed_mps, 0.0)?;
            check_trigger(trigger, &format!("{field}.trigger"))?;
            check_size(size, field)?;
        }
        ActorSpec::Static { position, yaw_deg, size, .. } => {
            finite("position[0]", position[0].abs(), 0.0)?;
            finite("position[1]", position[1].abs(), 0.0)?;
            finite("yaw_deg", yaw_deg.abs(), 0.0)?;
            check_size(size, field)?;
        }
    }
    Ok(())
}

fn check_size(size: &Option<[f64; 3]>, field: &str) -> Result<(), (String, String)> {
    match size {
        Some(s) if s.iter().any(|v| !(v.is_finite() && *v > 0.0 && *v < 30.0)) => {
            Err((format!("{field}.size"), format!("is {s:?}, expected three lengths in (0, 30) m")))
        }
        _ => Ok(()),
    }
}
