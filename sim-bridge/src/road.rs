//! The road network: road segments with lanes in both directions, and
//! four-way intersections with connector lanes for every allowed turn.
//! Right-hand traffic; the world frame is a local ENU map frame.

use serde::{Deserialize, Serialize};

use crate::polyline::Polyline;

/// Default lane width (m).
pub const LANE_WIDTH_M: f64 = 3.5;

/// The road types the simulator builds, with their parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RoadLayout {
    /// A straight two-way road along +x starting at the origin.
    Straight { length_m: f64, lanes_per_direction: usize, speed_limit_mps: f64 },
    /// Straight lead-in along +x, a constant-radius arc turning by
    /// `angle_deg` (positive left), then a straight lead-out.
    Curve {
        radius_m: f64,
        angle_deg: f64,
        lead_in_m: f64,
        lead_out_m: f64,
        lanes_per_direction: usize,
        speed_limit_mps: f64,
    },
    /// Two two-way roads crossing at the origin, arms of `arm_length_m`
    /// toward east, north, west and south.
    Intersection { arm_length_m: f64, lanes_per_direction: usize, speed_limit_mps: f64 },
}

/// Which way a lane leaves an intersection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Turn {
    Straight,
    Left,
    Right,
}

/// Travel direction on a road segment relative to its reference line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Forward,
    Backward,
}

pub type LaneId = usize;

/// A two-way road: its reference line separates the directions.
#[derive(Debug, Clone)]
pub struct RoadSegment {
    pub reference: Polyline,
    pub lanes_per_direction: usize,
    pub lane_width_m: f64,
    /// Whether each end meets an intersection (no kerb drawn across it).
    pub starts_at_junction: bool,
}

impl RoadSegment {
    /// Half the paved width (m).
    pub fn half_width_m(&self) -> f64 {
        self.lanes_per_direction as f64 * self.lane_width_m
    }
}

/// A square paved area where roads meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Junction {
    pub center: (f64, f64),
    pub half_size_m: f64,
}

/// A lane: the centre line a vehicle follows.
#[derive(Debug, Clone)]
pub struct Lane {
    pub id: LaneId,
    pub centre: Polyline,
    pub width_m: f64,
    pub speed_limit_mps: f64,
    /// Lanes this one leads into, with the manoeuvre each means.
    pub successors: Vec<(Turn, LaneId)>,
    /// The segment, direction and index (0 = next to the centre line) this
    /// lane belongs to; `None` for connectors inside a junction.
    pub on_segment: Option<(usize, Direction, usize)>,
}

/// Everything drivable in a scenario.
#[derive(Debug, Clone)]
pub struct RoadNetwork {
    pub segments: Vec<RoadSegment>,
    pub junctions: Vec<Junction>,
    pub lanes: Vec<Lane>,
}

impl RoadNetwork {
    pub fn build(layout: &RoadLayout) -> Self {
        match *layout {
            RoadLayout::Straight { length_m, lanes_per_direction, speed_limit_mps } => {
                let reference = Polyline::from_vertices(&[(0.0, 0.0), (length_m, 0.0)]);
                Self::from_segments(vec![segment(reference, lanes_per_direction, false)], vec![], speed_limit_mps)
            }
            RoadLayout::Curve { radius_m, angle_deg, lead_in_m, lead_out_m, lanes_per_direction, speed_limit_mps } => {
                let reference = Polyline::from_vertices(&curve_vertices(radius_m, angle_deg, lead_in_m, lead_out_m));
                Self::from_segments(vec![segment(reference, lanes_per_direction, false)], vec![], speed_limit_mps)
            }
            RoadLayout::Intersection { arm_length_m, lanes_per_direction, speed_limit_mps } => {
                intersection(arm_length_m, lanes_per_direction, speed_limit_mps)
            }
        }
    }

    fn from_segments(segments: Vec<RoadSegment>, junctions: Vec<Junction>, speed_limit_mps: f64) -> Self {
        let mut lanes = Vec::new();
        for (si, seg) in segments.iter().enumerate() {
            for direction in [Direction::Forward, Direction::Backward] {
                for k in 0..seg.lanes_per_direction {
                    let offset = (k as f64 + 0.5) * seg.lane_width_m;
                    let centre = match direction {
                        Direction::Forward => seg.reference.offset(-offset),
                        Direction::Backward => seg.reference.offset(offset).reversed(),
                    };
                    lanes.push(Lane {
                        id: lanes.len(),
                        centre,
                        width_m: seg.lane_width_m,
                        speed_limit_mps,
                        successors: Vec::new(),
                        on_segment: Some((si, direction, k)),
                    });
                }
            }
        }
        Self { segments, junctions, lanes }
    }

    /// The lane `index` (0 = next to the centre line) of a segment's direction.
    pub fn lane_on(&self, segment: usize, direction: Direction, index: usize) -> Option<LaneId> {
        self.lanes.iter().find(|l| l.on_segment == Some((segment, direction, index))).map(|l| l.id)
    }

    pub fn lane(&self, id: LaneId) -> Option<&Lane> {
        self.lanes.get(id)
    }

    /// The successor of `lane` for a manoeuvre, if the network has it.
    pub fn successor(&self, lane: LaneId, turn: Turn) -> Option<LaneId> {
        self.lanes.get(lane)?.successors.iter().find(|(t, _)| *t == turn).map(|&(_, id)| id)
    }

    /// Whether a world point lies on the paved road (a segment's carriageway
    /// or a junction), not on the pavement or beyond.
    pub fn on_road(&self, x: f64, y: f64) -> bool {
        self.junctions
            .iter()
            .any(|j| (x - j.center.0).abs() <= j.half_size_m && (y - j.center.1).abs() <= j.half_size_m)
            || self.segments.iter().any(|seg| {
                let p = seg.reference.project(x, y, 0.0, seg.reference.length());
                let end = seg.reference.at(p.s);
                let along = (x - end.x) * end.heading.cos() + (y - end.y) * end.heading.sin();
                along.abs() < 0.5 && p.d.abs() <= seg.half_width_m()
            })
    }

    /// The centre lines of a sequence of lanes as one path.
    pub fn path_through(&self, lanes: &[LaneId]) -> Option<Polyline> {
        let parts: Option<Vec<&Polyline>> = lanes.iter().map(|&id| self.lane(id).map(|l| &l.centre)).collect();
        Some(Polyline::concat(&parts?))
    }
}

fn segment(reference: Polyline, lanes_per_direction: usize, starts_at_junction: bool) -> RoadSegment {
    RoadSegment {
        reference,
        lanes_per_direction: lanes_per_direction.max(1),
        lane_width_m: LANE_WIDTH_M,
        starts_at_junction,
    }
}

fn curve_vertices(radius_m: f64, angle_deg: f64, lead_in_m: f64, lead_out_m: f64) -> Vec<(f64, f64)> {
    let mut v = vec![(0.0, 0.0), (lead_in_m, 0.0)];
    let turn = angle_deg.to_radians();
    let side = turn.signum();
    let centre = (lead_in_m, side * radius_m);
    let steps = ((turn.abs() * radius_m) / 1.0).ceil().max(1.0) as usize;
    for i in 1..=steps {
        let a = turn * i as f64 / steps as f64;
        // Start at angle -90° (right of the centre for a left turn).
        v.push((centre.0 + radius_m * a.abs().sin(), centre.1 - side * radius_m * a.abs().cos()));
    }
    let (ex, ey) = *v.last().unwrap_or(&(lead_in_m, 0.0));
    v.push((ex + lead_out_m * turn.cos(), ey + lead_out_m * turn.sin()));
    v
}

fn intersection(arm_length_m: f64, lanes_per_direction: usize, speed_limit_mps: f64) -> RoadNetwork {
    let n = lanes_per_direction.max(1);
    // Room for a right turn of about 7.5 m radius, within the ego's lock.
    let half = n as f64 * LANE_WIDTH_M + 6.0;
    // Arms point outward at 0°, 90°, 180°, 270°: forward lanes leave the junction.
    let arm_angles = [0.0f64, 90.0, 180.0, 270.0];
    let segments: Vec<RoadSegment> = arm_angles
        .iter()
        .map(|deg| {
            let (s, c) = deg.to_radians().sin_cos();
            let reference = Polyline::from_vertices(&[
                (half * c, half * s),
                ((half + arm_length_m) * c, (half + arm_length_m) * s),
            ]);
            segment(reference, n, true)
        })
        .collect();
    let mut net =
        RoadNetwork::from_segments(segments, vec![Junction { center: (0.0, 0.0), half_size_m: half }], speed_limit_mps);
    let turn_speed = speed_limit_mps.min(8.0);
    for arm in 0..4 {
        for k in 0..n {
            let mut turns = vec![(Turn::Straight, (arm + 2) % 4, k)];
            if k == 0 {
                turns.push((Turn::Left, (arm + 3) % 4, 0));
            }
            if k == n - 1 {
                turns.push((Turn::Right, (arm + 1) % 4, n - 1));
            }
            let Some(incoming) = net.lane_on(arm, Direction::Backward, k) else { continue };
            for (turn, to_arm, to_k) in turns {
                let Some(outgoing) = net.lane_on(to_arm, Direction::Forward, to_k) else { continue };
                let centre = connector(&net.lanes[incoming].centre, &net.lanes[outgoing].centre);
                let id = net.lanes.len();
                net.lanes.push(Lane {
                    id,
                    centre,
                    width_m: LANE_WIDTH_M,
                    speed_limit_mps: if turn == Turn::Straight { speed_limit_mps } else { turn_speed },
                    successors: vec![(Turn::Straight, outgoing)],
                    on_segment: None,
                });
                net.lanes[incoming].successors.push((turn, id));
            }
        }
    }
    net
}

/// A cubic Bézier from the end of `from` to the start of `to`, tangent to both.
fn connector(from: &Polyline, to: &Polyline) -> Polyline {
    let a = from.at(from.length());
    let b = to.at(0.0);
    let reach = 0.55 * (b.x - a.x).hypot(b.y - a.y);
    let p0 = (a.x, a.y);
    let p1 = (a.x + reach * a.heading.cos(), a.y + reach * a.heading.sin());
    let p2 = (b.x - reach * b.heading.cos(), b.y - reach * b.heading.sin());
    let p3 = (b.x, b.y);
    let vertices: Vec<(f64, f64)> = (0..=40)
        .map(|i| {
            let t = i as f64 / 40.0;
            let u = 1.0 - t;
            let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            (
                w[0] * p0.0 + w[1] * p1.0 + w[2] * p2.0 + w[3] * p3.0,
                w[0] * p0.1 + w[1] * p1.1 + w[2] * p2.1 + w[3] * p3.1,
            )
        })
        .collect();
    Polyline::from_vertices(&vertices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_road_has_lanes_on_the_right() {
        let net = RoadNetwork::build(&RoadLayout::Straight {
            length_m: 100.0,
            lanes_per_direction: 2,
            speed_limit_mps: 20.0,
        });
        let outer = net.lane(net.lane_on(0, Direction::Forward, 1).unwrap()).unwrap();
        assert!((outer.centre.at(10.0).y + 5.25).abs() < 1e-9);
        let back = net.lane(net.lane_on(0, Direction::Backward, 0).unwrap()).unwrap();
        assert!((back.centre.at(0.0).x - 100.0).abs() < 1e-6 && (back.centre.at(0.0).y - 1.75).abs() < 1e-9);
    }

    #[test]
    fn curve_has_its_radius() {
        let net = RoadNetwork::build(&RoadLayout::Curve {
            radius_m: 100.0,
            angle_deg: 90.0,
            lead_in_m: 50.0,
            lead_out_m: 50.0,
            lanes_per_direction: 1,
            speed_limit_mps: 20.0,
        });
        let reference = &net.segments[0].reference;
        let k = reference.curvature_at(50.0 + 0.5 * 100.0 * std::f64::consts::FRAC_PI_2);
        assert!((k - 0.01).abs() < 5e-4, "curvature {k}");
        let end = reference.at(reference.length());
        assert!((end.x - 150.0).abs() < 0.5 && (end.y - 150.0).abs() < 0.5, "{end:?}");
    }

    #[test]
    fn intersection_left_turn_leads_to_the_left_arm() {
        let net = RoadNetwork::build(&RoadLayout::Intersection {
            arm_length_m: 100.0,
            lanes_per_direction: 1,
            speed_limit_mps: 13.9,
        });
        // Coming in from the south arm (index 3) heading north.
        let incoming = net.lane_on(3, Direction::Backward, 0).unwrap();
        let left = net.successor(incoming, Turn::Left).unwrap();
        let out = net.lane(left).unwrap().successors[0].1;
        let end = net.lane(out).unwrap().centre.at(50.0);
        assert!(end.x < -50.0 && end.y.abs() < 3.0, "left turn from the south ends west: {end:?}");
        let right = net.lane(net.successor(incoming, Turn::Right).unwrap()).unwrap().successors[0].1;
        assert!(net.lane(right).unwrap().centre.at(50.0).x > 50.0);
    }
}
