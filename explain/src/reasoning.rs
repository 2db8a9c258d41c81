//! A reasoning trace in EMMA's four parts and its text form, one sentence
//! per part:
//!
//! `R1 intersection road, dusk, fog, light traffic. R2 pedestrian at 9.0 3.2;
//! car at 25.1 -0.4. R3 pedestrian crossing; car braking. R4 stop.`
//!
//! R2 coordinates are the object's centre in the ego frame (m, x forward,
//! y left), one decimal. `parse` reads the text back into fields.

use std::fmt;

use serde::{Deserialize, Serialize};
use vla_hal::ObjectClass;

use crate::decision::Decision;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadKind {
    Straight,
    Curve,
    Intersection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Day,
    Dusk,
    Night,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Traffic {
    No,
    Light,
    Dense,
}

/// R1: where the car is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scene {
    pub road: RoadKind,
    pub light: Light,
    pub fog: bool,
    pub traffic: Traffic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    Stopped,
    Crossing,
    CuttingIn,
    Oncoming,
    Braking,
    Moving,
}

/// R2 and R3 of one object.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriticalObject {
    pub class: ObjectClass,
    /// Centre in the ego frame (m).
    pub x: f64,
    pub y: f64,
    pub behaviour: Behaviour,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    pub scene: Scene,
    pub objects: Vec<CriticalObject>,
    pub decision: Decision,
}

impl RoadKind {
    pub const ALL: [RoadKind; 3] = [RoadKind::Straight, RoadKind::Curve, RoadKind::Intersection];
    pub fn as_str(&self) -> &'static str {
        match self {
            RoadKind::Straight => "straight",
            RoadKind::Curve => "curved",
            RoadKind::Intersection => "intersection",
        }
    }
}

impl Light {
    pub const ALL: [Light; 3] = [Light::Day, Light::Dusk, Light::Night];
    pub fn as_str(&self) -> &'static str {
        match self {
            Light::Day => "day",
            Light::Dusk => "dusk",
            Light::Night => "night",
        }
    }
}

impl Traffic {
    pub const ALL: [Traffic; 3] = [Traffic::No, Traffic::Light, Traffic::Dense];
    pub fn as_str(&self) -> &'static str {
        match self {
            Traffic::No => "no",
            Traffic::Light => "light",
            Traffic::Dense => "dense",
        }
    }
}

impl Behaviour {
    pub const ALL: [Behaviour; 6] = [
        Behaviour::Stopped,
        Behaviour::Crossing,
        Behaviour::CuttingIn,
        Behaviour::Oncoming,
        Behaviour::Braking,
        Behaviour::Moving,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Behaviour::Stopped => "stopped",
            Behaviour::Crossing => "crossing",
            Behaviour::CuttingIn => "cutting in",
            Behaviour::Oncoming => "oncoming",
            Behaviour::Braking => "braking",
            Behaviour::Moving => "moving",
        }
    }
}

/// Coordinates as written: one decimal, no negative zero.
fn coordinate(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    format!("{:.1}", if r == 0.0 { 0.0 } else { r })
}

impl fmt::Display for Reasoning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scene;
        let fog = if s.fog { ", fog" } else { "" };
        write!(f, "R1 {} road, {}{fog}, {} traffic.", s.road.as_str(), s.light.as_str(), s.traffic.as_str())?;
        if self.objects.is_empty() {
            write!(f, " R2 none. R3 none.")?;
        } else {
            let r2: Vec<String> = self
                .objects
                .iter()
                .map(|o| format!("{} at {} {}", o.class.as_str(), coordinate(o.x), coordinate(o.y)))
                .collect();
            let r3: Vec<String> =
                self.objects.iter().map(|o| format!("{} {}", o.class.as_str(), o.behaviour.as_str())).collect();
            write!(f, " R2 {}. R3 {}.", r2.join("; "), r3.join("; "))?;
        }
        write!(f, " R4 {}.", self.decision.as_str())
    }
}

/// Why a text is not a reasoning trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub part: &'static str,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reasoning {}: {}", self.part, self.reason)
    }
}

impl std::error::Error for ParseError {}

fn err(part: &'static str, reason: impl Into<String>) -> ParseError {
    ParseError { part, reason: reason.into() }
}

/// The text of part `tag` ("R1".."R4"): from after the tag to the next
/// part or the end, without the closing full stop.
fn part<'a>(text: &'a str, tag: &'static str, next: Option<&str>) -> Result<&'a str, ParseError> {
    let start = text.find(&format!("{tag} ")).ok_or_else(|| err(tag, "missing"))? + tag.len() + 1;
    let rest = &text[start..];
    let end = next.and_then(|n| rest.find(&format!(" {n} "))).unwrap_or(rest.len());
    Ok(rest[..end].trim().trim_end_matches('.'))
}

fn class_named(word: &str, tag: &'static str) -> Result<ObjectClass, ParseError> {
    ObjectClass::ALL.into_iter().find(|c| c.as_str() == word).ok_or_else(|| err(tag, format!("unknown class `{word}`")))
}

/// Reads a trace back into fields.
pub fn parse(text: &str) -> Result<Reasoning, ParseError> {
    let r1 = part(text, "R1", Some("R2"))?;
    let r2 = part(text, "R2", Some("R3"))?;
    let r3 = part(text, "R3", Some("R4"))?;
    let r4 = part(text, "R4", None)?;

    let words: Vec<&str> = r1.split(", ").collect();
    let (road, rest) = words.split_first().ok_or_else(|| err("R1", "empty"))?;
    let road = RoadKind::ALL
        .into_iter()
        .find(|r| road.strip_suffix(" road") == Some(r.as_str()))
        .ok_or_else(|| err("R1", format!("unknown road `{road}`")))?;
    let light = rest
        .first()
        .and_then(|w| Light::ALL.into_iter().find(|l| l.as_str() == *w))
        .ok_or_else(|| err("R1", "no lighting"))?;
    let fog = rest.contains(&"fog");
    let traffic = rest
        .last()
        .and_then(|w| w.strip_suffix(" traffic"))
        .and_then(|w| Traffic::ALL.into_iter().find(|t| t.as_str() == w))
        .ok_or_else(|| err("R1", "no traffic"))?;

    let mut objects = Vec::new();
    if r2 != "none" {
        let r3_items: Vec<&str> = if r3 == "none" { Vec::new() } else { r3.split("; ").collect() };
        for (i, item) in r2.split("; ").enumerate() {
            let mut w = item.split(' ');
            let class = class_named(w.next().unwrap_or(""), "R2")?;
            if w.next() != Some("at") {
                return Err(err("R2", format!("`{item}` is not `<class> at <x> <y>`")));
            }
            let mut number = || -> Result<f64, ParseError> {
                let t = w.next().ok_or_else(|| err("R2", format!("`{item}` lacks a coordinate")))?;
                t.parse().map_err(|_| err("R2", format!("`{t}` is not a number")))
            };
            let (x, y) = (number()?, number()?);
            let behaviour_text = r3_items
                .get(i)
                .and_then(|b| b.strip_prefix(class.as_str()))
                .map(str::trim)
                .ok_or_else(|| err("R3", format!("no behaviour for object {}", i + 1)))?;
            let behaviour = Behaviour::ALL
                .into_iter()
                .find(|b| b.as_str() == behaviour_text)
                .ok_or_else(|| err("R3", format!("unknown behaviour `{behaviour_text}`")))?;
            objects.push(CriticalObject { class, x, y, behaviour });
        }
    }
    let decision = Decision::parse(r4).ok_or_else(|| err("R4", format!("unknown decision `{r4}`")))?;
    Ok(Reasoning { scene: Scene { road, light, fog, traffic }, objects, decision })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Reasoning {
        Reasoning {
            scene: Scene { road: RoadKind::Intersection, light: Light::Dusk, fog: true, traffic: Traffic::Light },
            objects: vec![
                CriticalObject { class: ObjectClass::Pedestrian, x: 9.04, y: 3.16, behaviour: Behaviour::Crossing },
                CriticalObject { class: ObjectClass::Car, x: 25.1, y: -0.44, behaviour: Behaviour::CuttingIn },
            ],
            decision: Decision::Stop,
        }
    }

    #[test]
    fn text_reads_back_into_the_same_fields() {
        let text = example().to_string();
        assert_eq!(
            text,
            "R1 intersection road, dusk, fog, light traffic. R2 pedestrian at 9.0 3.2; car at 25.1 -0.4. \
             R3 pedestrian crossing; car cutting in. R4 stop."
        );
        let back = parse(&text).unwrap();
        assert_eq!(back.scene, example().scene);
        assert_eq!(back.decision, Decision::Stop);
        assert_eq!((back.objects[0].x, back.objects[1].y), (9.0, -0.4));
        assert_eq!(back.objects[1].behaviour, Behaviour::CuttingIn);
        let empty = Reasoning { objects: vec![], decision: Decision::KeepSpeed, ..example() };
        assert_eq!(parse(&empty.to_string()).unwrap(), empty);
    }

    #[test]
    fn broken_text_names_the_part() {
        let e = parse("R1 straight road, day, no traffic. R2 none. R3 none. R4 fly.").unwrap_err();
        assert_eq!(e.part, "R4");
        let e =
            parse("R1 straight road, day, no traffic. R2 dragon at 1.0 2.0. R3 dragon moving. R4 stop.").unwrap_err();
        assert!(e.to_string().contains("dragon"), "{e}");
        assert_eq!(parse("hello").unwrap_err().part, "R1");
    }
}
