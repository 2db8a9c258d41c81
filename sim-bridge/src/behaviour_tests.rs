//! Behaviours and triggers of scenario actors, driven through the world
//! with a fixed ego command (the ego parked or cruising out of the way).

use vla_hal::ControlCommand;

use crate::actors::Motion;
use crate::geometry::footprints_overlap;
use crate::scenario::Scenario;
use crate::world::World;

const DT: f64 = 0.05;

/// A two-lane straight road; the ego parks at the start of the outer lane
/// unless `ego` replaces its table.
fn world(actors: &str, ego: Option<&str>) -> World {
    let ego = ego
        .unwrap_or("[ego]\nlane = { segment = 0, direction = \"forward\", index = 1 }\ns_m = 5.0\nspeed_mps = 0.0\n");
    let text = format!(
        "name = \"t\"\nduration_s = 120.0\n[end]\non_collision = false\n[road]\ntype = \"straight\"\nlength_m = 1000.0\nlanes_per_direction = 2\nspeed_limit_mps = 25.0\n{ego}\n{actors}"
    );
    World::new(Scenario::from_toml(&text, "test.toml").unwrap()).unwrap()
}

fn run(world: &mut World, seconds: f64, accel: f64) {
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: accel, steering_angle_rad: 0.0 };
    for _ in 0..(seconds / DT).round() as usize {
        world.step(&cmd, DT);
    }
}

fn lateral(world: &World, actor: usize) -> f64 {
    match &world.actors[actor].motion {
        Motion::OnLane { lateral_offset_m, .. } => *lateral_offset_m,
        _ => f64::NAN,
    }
}

#[test]
fn idm_follower_stops_behind_a_stopped_car_without_contact() {
    let mut w = world(
        "[[actors]]\nkind = \"vehicle\"\nlane = { segment = 0, direction = \"forward\", index = 0 }\ns_m = 20.0\nspeed_mps = 15.0\n\
         [[actors]]\nkind = \"static\"\nclass = \"car\"\nposition = [150.0, -1.75]\n",
        None,
    );
    let mut min_gap = f64::INFINITY;
    for _ in 0..600 {
        run(&mut w, DT, -1.0);
        let (a, b) = (w.actors[0].world_box(), w.actors[1].world_box());
        min_gap = min_gap.min((b.center[0] - b.size[0] / 2.0) - (a.center[0] + a.size[0] / 2.0));
        assert!(!footprints_overlap(&a.footprint(), &b.footprint()), "contact at {} s", w.time_s);
    }
    assert!(w.actors[0].speed() < 0.05);
    assert!(min_gap > 1.0 && min_gap < 6.0, "min gap {min_gap}");
}

#[test]
fn constant_speed_ignores_what_is_ahead() {
    let mut w = world(
        "[[actors]]\nkind = \"vehicle\"\nlane = { segment = 0, direction = \"forward\", index = 0 }\ns_m = 20.0\nspeed_mps = 10.0\nbehaviour = { type = \"constant_speed\" }\n\
         [[actors]]\nkind = \"static\"\nclass = \"car\"\nposition = [60.0, -1.75]\n",
        None,
    );
    run(&mut w, 3.0, -1.0);
    assert_eq!(w.actors[0].speed(), 10.0);
    assert!((w.actors[0].pose().x - 50.0).abs() < 1e-6);
}

#[test]
fn brake_to_stop_fires_on_time_and_resumes() {
    let mut w = world(
        "[[actors]]\nkind = \"vehicle\"\nlane = { segment = 0, direction = \"forward\", index = 0 }\ns_m = 20.0\nspeed_mps = 12.0\n\
         behaviour = { type = \"brake_to_stop\", decel_mps2 = 4.0, trigger = { type = \"time\", at_s = 2.0 }, resume_after_s = 2.0 }\n",
        None,
    );
    run(&mut w, 2.0, -1.0);
    assert_eq!(w.actors[0].speed(), 12.0, "cruises until the trigger");
    run(&mut w, 1.0, -1.0);
    assert!((w.actors[0].speed() - 8.0).abs() < 0.25, "brakes at 4 m/s²: {}", w.actors[0].speed());
    run(&mut w, 2.5, -1.0);
    assert_eq!(w.actors[0].speed(), 0.0, "stopped");
    run(&mut w, 3.0, -1.0);
    assert!(w.actors[0].speed() > 0.5, "drives off after the wait");
}

#[test]
fn distance_trigger_starts_a_cut_in_toward_the_ego() {
    // The ego drives at 20 m/s in the outer lane; a car at 15 m/s in the
    // inner lane 60 m ahead cuts in once the ego is within 25 m.
    let mut w = world(
        "[[actors]]\nkind = \"vehicle\"\nlane = { segment = 0, direction = \"forward\", index = 0 }\ns_m = 70.0\nspeed_mps = 15.0\n\
         behaviour = { type = \"cut_in\", trigger = { type = \"distance_to_ego\", below_m = 25.0 }, duration_s = 2.0 }\n",
        Some("[ego]\nlane = { segment = 0, direction = \"forward\", index = 1 }\ns_m = 10.0\nspeed_mps = 20.0\n"),
    );
    run(&mut w, 4.0, 0.0);
    assert_eq!(lateral(&w, 0), 0.0, "no cut-in while far: ego-to-car distance {}", w.actors[0].pose().x - w.ego.pose.x);
    run(&mut w, 10.0, 0.0);
    assert!((lateral(&w, 0) + 3.5).abs() < 1e-9, "now in the ego lane (one lane to the right): {}", lateral(&w, 0));
}

#[test]
fn ttc_trigger_starts_a_cut_out() {
    let mut w = world(
        "[[actors]]\nkind = \"vehicle\"\nlane = { segment = 0, direction = \"forward\", index = 1 }\ns_m = 60.0\nspeed_mps = 5.0\n\
         behaviour = { type = \"cut_out\", side = \"left\", trigger = { type = \"ttc_to_ego\", below_s = 3.0 }, duration_s = 2.0 }\n",
        Some("[ego]\nlane = { segment = 0, direction = \"forward\", index = 1 }\ns_m = 10.0\nspeed_mps = 15.0\n"),
    );
    // Gap 60 - 2.25 - (10 + 3.7) = 44 m closing at 10 m/s: TTC 3 s after about 1.4 s.
    run(&mut w, 1.0, 0.0);
    assert_eq!(lateral(&w, 0), 0.0);
    run(&mut w, 3.0, 0.0);
    assert!((lateral(&w, 0) - 3.5).abs() < 1e-9, "left one lane: {}", lateral(&w, 0));
}

#[test]
fn pedestrian_waits_for_its_trigger_then_walks() {
    let mut w = world(
        "[[actors]]\nkind = \"pedestrian\"\npath = [[50.0, -9.0], [50.0, 9.0]]\nspeed_mps = 1.5\ntrigger = { type = \"time\", at_s = 2.0 }\nsize = [0.3, 0.4, 1.15]\n",
        None,
    );
    run(&mut w, 2.0, -1.0);
    assert!((w.actors[0].pose().y + 9.0).abs() < 1e-9, "stands at the kerb");
    assert_eq!(w.actors[0].size, [0.3, 0.4, 1.15]);
    run(&mut w, 4.0, -1.0);
    assert!((w.actors[0].pose().y + 3.0).abs() < 0.1, "walked 6 m: {}", w.actors[0].pose().y);
    run(&mut w, 20.0, -1.0);
    assert!((w.actors[0].pose().y - 9.0).abs() < 1e-9 && w.actors[0].speed() == 0.0, "stops at the end");
}

#[test]
fn routing_command_changes_lane() {
    let mut w = world(
        "",
        Some(
            "[ego]\nlane = { segment = 0, direction = \"forward\", index = 1 }\ns_m = 10.0\nspeed_mps = 15.0\nrouting = [{ from_m = 0.0, command = \"keep_lane\" }, { from_m = 50.0, command = \"change_lane_left\" }]\n",
        ),
    );
    let before = w.route.path.at(40.0);
    let after = w.route.path.at(200.0);
    assert!((before.y + 5.25).abs() < 1e-6 && (after.y + 1.75).abs() < 1e-6, "{before:?} {after:?}");
    assert_eq!(w.route.command_at(30.0), vla_hal::RoutingCommand::KeepLane);
    run(&mut w, 4.0, 0.0);
    assert_eq!(w.route_input().command, vla_hal::RoutingCommand::ChangeLaneLeft);
}
