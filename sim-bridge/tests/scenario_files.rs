//! The scenario format: the library loads, and malformed files get errors
//! that name the file, the field and what was expected.

use vla_sim_bridge::{Scenario, SimError, World, library};

#[test]
fn library_loads_with_suites_and_every_scenario_builds() {
    let all = library::all().unwrap();
    assert!(all.len() >= 40, "{} scenarios", all.len());
    let ncap = library::suite("euro-ncap").unwrap();
    for family in ["CCRs", "CCRm", "CCRb", "CPNA", "CPFA", "CPNC", "CPLA"] {
        assert!(ncap.iter().any(|s| s.euro_ncap.as_ref().is_some_and(|c| c.test == family)), "{family} missing");
    }
    assert!(library::suite("everyday").unwrap().len() >= 10);
    let clear = library::suite("clear-road").unwrap();
    assert!(!clear.is_empty() && clear.iter().all(|s| !s.threat));
    for s in all {
        World::new(s.clone()).unwrap_or_else(|e| panic!("{}: {e}", s.name));
    }
    let err = library::suite("motorway").unwrap_err().to_string();
    assert!(err.contains("motorway") && err.contains("euro-ncap"), "{err}");
}

const GOOD: &str = r#"
name = "x"
duration_s = 10.0
[road]
type = "straight"
length_m = 300.0
lanes_per_direction = 1
speed_limit_mps = 20.0
[ego]
lane = { segment = 0, direction = "forward", index = 0 }
s_m = 10.0
speed_mps = 10.0
"#;

fn error_of(text: &str) -> String {
    Scenario::from_toml(text, "bad.toml").unwrap_err().to_string()
}

#[test]
fn good_file_loads() {
    let s = Scenario::from_toml(GOOD, "good.toml").unwrap();
    assert_eq!(s.name, "x");
    assert!(s.actors.is_empty() && s.end.on_collision);
}

#[test]
fn missing_field_is_named_with_the_file() {
    let err = error_of(&GOOD.replace("speed_mps = 10.0\n", ""));
    assert!(err.contains("bad.toml") && err.contains("speed_mps"), "{err}");
}

#[test]
fn wrong_type_is_named() {
    let err = error_of(&GOOD.replace("duration_s = 10.0", "duration_s = \"long\""));
    assert!(err.contains("bad.toml") && err.contains("duration_s"), "{err}");
}

#[test]
fn unknown_field_and_unknown_behaviour_are_rejected() {
    let err = error_of(&GOOD.replace("s_m = 10.0", "s_m = 10.0\ncolour = \"red\""));
    assert!(err.contains("colour"), "{err}");
    let actor = "[[actors]]\nkind = \"vehicle\"\nlane = { segment = 0, direction = \"forward\", index = 0 }\ns_m = 50.0\nspeed_mps = 5.0\nbehaviour = { type = \"teleport\" }\n";
    let err = error_of(&format!("{GOOD}{actor}"));
    assert!(err.contains("teleport") && err.contains("brake_to_stop"), "expected variants listed: {err}");
}

#[test]
fn out_of_range_values_name_the_field_and_the_expectation() {
    let err = error_of(&GOOD.replace("duration_s = 10.0", "duration_s = -1.0"));
    assert!(err.contains("bad.toml") && err.contains("`duration_s`") && err.contains("positive"), "{err}");
    let walker = "[[actors]]\nkind = \"pedestrian\"\npath = [[1.0, 2.0]]\nspeed_mps = 1.0\n";
    let err = error_of(&format!("{GOOD}{walker}"));
    assert!(err.contains("`actors[0].path`") && err.contains("at least 2"), "{err}");
    let trig = "[[actors]]\nkind = \"pedestrian\"\npath = [[1.0, 2.0], [3.0, 4.0]]\nspeed_mps = 1.0\ntrigger = { type = \"time\", at_s = -2.0 }\n";
    let err = error_of(&format!("{GOOD}{trig}"));
    assert!(err.contains("`actors[0].trigger.at_s`"), "{err}");
}

#[test]
fn lane_that_does_not_exist_is_named_when_building() {
    let s = Scenario::from_toml(&GOOD.replace("index = 0", "index = 3"), "lanes.toml").unwrap();
    let Err(err) = World::new(s) else { panic!("lane 3 of a one-lane road built") };
    assert!(matches!(err, SimError::Scenario { .. }));
    let text = err.to_string();
    assert!(text.contains("ego.lane") && text.contains("no lane 3"), "{text}");
}

#[test]
fn unreadable_file_names_the_path() {
    let err = Scenario::from_file(std::path::Path::new("/no/such/scenario.toml")).unwrap_err().to_string();
    assert!(err.contains("/no/such/scenario.toml"), "{err}");
}
