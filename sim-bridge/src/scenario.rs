//! Scenario descriptions: road, ego start, route, actors, environment,
//! duration. The built-in scenarios live in [`builtin`].

use serde::{Deserialize, Serialize};
use vla_hal::{ObjectClass, RoutingCommand};

use crate::road::{Direction, RoadLayout, Turn};

/// A lane named by its road segment, direction and index (0 = next to the
/// centre line).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LaneRef {
    pub segment: usize,
    pub direction: Direction,
    pub index: usize,
}

/// Where and how fast the ego starts, and where it is routed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EgoStart {
    pub lane: LaneRef,
    /// Arc length along the lane (m).
    pub s_m: f64,
    pub speed_mps: f64,
    /// Desired cruising speed of the expert (m/s); the lane's limit caps it.
    pub cruise_speed_mps: f64,
    /// Manoeuvre at each intersection on the way, in order.
    pub turns: Vec<Turn>,
    /// The instruction the stack is given.
    pub routing_command: RoutingCommand,
}

/// A traffic participant and how it behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActorSpec {
    /// Follows its lane (and turns at intersections) with IDM.
    Vehicle {
        class: ObjectClass,
        lane: LaneRef,
        s_m: f64,
        speed_mps: f64,
        desired_speed_mps: f64,
        #[serde(default)]
        turns: Vec<Turn>,
    },
    /// Walks along a path of world points at a constant speed, starting at
    /// `start_time_s`, and stands still at its end.
    Pedestrian { path: Vec<[f64; 2]>, speed_mps: f64, start_time_s: f64 },
    /// Does not move.
    Static { class: ObjectClass, position: [f64; 2], yaw_deg: f64 },
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
pub struct Environment {
    pub lighting: Lighting,
    /// Meteorological visibility in fog (m); `None` for clear air.
    pub fog_visibility_m: Option<f64>,
}

/// One complete scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub road: RoadLayout,
    pub ego: EgoStart,
    pub actors: Vec<ActorSpec>,
    pub environment: Environment,
    pub duration_s: f64,
}

/// The scenarios compiled into the simulator.
pub mod builtin {
    use super::*;

    fn lane(segment: usize, direction: Direction, index: usize) -> LaneRef {
        LaneRef { segment, direction, index }
    }

    fn car(lane: LaneRef, s_m: f64, speed: f64) -> ActorSpec {
        ActorSpec::Vehicle {
            class: ObjectClass::Car,
            lane,
            s_m,
            speed_mps: speed,
            desired_speed_mps: speed,
            turns: vec![],
        }
    }

    fn straight(length_m: f64) -> RoadLayout {
        RoadLayout::Straight { length_m, lanes_per_direction: 2, speed_limit_mps: 25.0 }
    }

    fn ego(lane: LaneRef, s_m: f64, speed: f64, turns: Vec<Turn>, routing_command: RoutingCommand) -> EgoStart {
        EgoStart { lane, s_m, speed_mps: speed, cruise_speed_mps: speed.max(8.0), turns, routing_command }
    }

    fn scenario(name: &str, description: &str, road: RoadLayout, ego: EgoStart, actors: Vec<ActorSpec>) -> Scenario {
        Scenario {
            name: name.to_string(),
            description: description.to_string(),
            road,
            ego,
            actors,
            environment: Environment::default(),
            duration_s: 30.0,
        }
    }

    fn intersection(name: &str, turn: Turn, command: RoutingCommand) -> Scenario {
        let road = RoadLayout::Intersection { arm_length_m: 150.0, lanes_per_direction: 1, speed_limit_mps: 13.9 };
        // South arm (3), lane toward the junction.
        let mut s = scenario(
            name,
            &format!("Four-way intersection approached from the south at 40 km/h; routing: {}.", command.as_str()),
            road,
            ego(lane(3, Direction::Backward, 0), 40.0, 11.1, vec![turn], command),
            vec![
                car(lane(1, Direction::Forward, 0), 40.0, 10.0),
                ActorSpec::Vehicle {
                    class: ObjectClass::Car,
                    lane: lane(0, Direction::Backward, 0),
                    s_m: 60.0,
                    speed_mps: 0.0,
                    desired_speed_mps: 0.0,
                    turns: vec![Turn::Straight],
                },
                ActorSpec::Static { class: ObjectClass::Barrier, position: [-14.0, -30.0], yaw_deg: 90.0 },
            ],
        );
        s.duration_s = 25.0;
        s
    }

    /// Every built-in scenario.
    pub fn all() -> Vec<Scenario> {
        let fwd = |i| lane(0, Direction::Forward, i);
        let back = |i| lane(0, Direction::Backward, i);
        let mut night = scenario(
            "night-fog-traffic",
            "Straight road at night in fog (visibility 120 m), following a car at 15 m/s.",
            straight(900.0),
            ego(fwd(1), 20.0, 18.0, vec![], RoutingCommand::KeepLane),
            vec![
                car(fwd(1), 90.0, 15.0),
                car(fwd(0), 150.0, 20.0),
                car(back(0), 500.0, 20.0),
                car(back(1), 700.0, 18.0),
            ],
        );
        night.environment = Environment { lighting: Lighting::Night, fog_visibility_m: Some(120.0) };
        let mut dusk_curve = scenario(
            "curve-right-r100-dusk",
            "Right-hand curve of radius 100 m at dusk, oncoming traffic.",
            RoadLayout::Curve {
                radius_m: 100.0,
                angle_deg: -120.0,
                lead_in_m: 120.0,
                lead_out_m: 300.0,
                lanes_per_direction: 1,
                speed_limit_mps: 20.0,
            },
            ego(fwd(0), 20.0, 15.0, vec![], RoutingCommand::KeepLane),
            vec![car(back(0), 200.0, 14.0), car(back(0), 320.0, 14.0), car(fwd(0), 120.0, 13.0)],
        );
        dusk_curve.environment.lighting = Lighting::Dusk;
        vec![
            scenario(
                "straight-traffic",
                "Two lanes each way at 70 km/h; a slower car ahead in the ego lane, traffic beside and oncoming.",
                straight(900.0),
                ego(fwd(1), 20.0, 19.4, vec![], RoutingCommand::KeepLane),
                vec![
                    car(fwd(1), 80.0, 14.0),
                    car(fwd(0), 40.0, 22.0),
                    car(fwd(0), 140.0, 21.0),
                    car(back(0), 400.0, 20.0),
                    car(back(1), 300.0, 16.0),
                    car(back(0), 650.0, 20.0),
                ],
            ),
            scenario(
                "curve-left-r150",
                "Left-hand curve of radius 150 m at 60 km/h with oncoming traffic.",
                RoadLayout::Curve {
                    radius_m: 150.0,
                    angle_deg: 90.0,
                    lead_in_m: 100.0,
                    lead_out_m: 400.0,
                    lanes_per_direction: 2,
                    speed_limit_mps: 16.7,
                },
                ego(fwd(1), 10.0, 16.7, vec![], RoutingCommand::KeepLane),
                vec![car(back(0), 250.0, 15.0), car(back(1), 420.0, 14.0), car(fwd(0), 60.0, 15.0)],
            ),
            dusk_curve,
            intersection("intersection-left", Turn::Left, RoutingCommand::TurnLeft),
            intersection("intersection-straight", Turn::Straight, RoutingCommand::Straight),
            intersection("intersection-right", Turn::Right, RoutingCommand::TurnRight),
            scenario(
                "pedestrian-crossing",
                "Adult crossing from the right kerb 60 m ahead at 1.4 m/s while the ego drives at 50 km/h.",
                straight(600.0),
                ego(fwd(1), 20.0, 13.9, vec![], RoutingCommand::KeepLane),
                vec![
                    ActorSpec::Pedestrian { path: vec![[85.0, -9.0], [85.0, 9.0]], speed_mps: 1.4, start_time_s: 1.0 },
                    ActorSpec::Pedestrian { path: vec![[40.0, 8.5], [140.0, 8.5]], speed_mps: 1.2, start_time_s: 0.0 },
                    car(back(1), 300.0, 13.0),
                ],
            ),
            scenario(
                "stopped-vehicle",
                "A broken-down car stands in the ego lane 150 m ahead; the ego at 70 km/h must stop behind it.",
                straight(600.0),
                ego(fwd(1), 20.0, 19.4, vec![], RoutingCommand::KeepLane),
                vec![
                    ActorSpec::Static { class: ObjectClass::Car, position: [190.0, -5.25], yaw_deg: 0.0 },
                    ActorSpec::Static { class: ObjectClass::Barrier, position: [180.0, -5.0], yaw_deg: 0.0 },
                    car(fwd(0), 60.0, 20.0),
                ],
            ),
            night,
        ]
    }

    /// The built-in scenario of that name.
    pub fn by_name(name: &str) -> Option<Scenario> {
        all().into_iter().find(|s| s.name == name)
    }
}
