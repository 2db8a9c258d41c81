//! The grammar of a reasoning trace over token ids, for constrained
//! decoding: which tokens may follow a prefix so that the finished text is
//! one [`crate::parse`] reads. A decoder that picks its likeliest token
//! among those cannot write an R3 about a class its R2 did not name, a
//! fourth object, or a decision outside the twelve — every text it ends
//! parses, so its R4 can always be checked against its plan.

use vla_hal::ObjectClass;

use crate::labels::MAX_CRITICAL_OBJECTS;
use crate::reasoning::{Behaviour, Light, RoadKind, Traffic};
use crate::tokenizer::{EOS, Tokenizer};
use crate::{Decision, tokenizer};

/// Integer digits of a coordinate at most (R2's objects lie within a
/// hundred metres or so).
const INTEGER_DIGITS: usize = 3;

pub struct TraceGrammar {
    r: [u32; 4],
    road: u32,
    traffic: u32,
    fog: u32,
    none: u32,
    at: u32,
    comma: u32,
    period: u32,
    semicolon: u32,
    minus: u32,
    number: u32,
    point: u32,
    digits: Vec<u32>,
    roads: Vec<Vec<u32>>,
    lights: Vec<Vec<u32>>,
    traffics: Vec<Vec<u32>>,
    classes: Vec<Vec<u32>>,
    behaviours: Vec<Vec<u32>>,
    decisions: Vec<Vec<u32>>,
}

/// Why walking a prefix stopped: it ended, and these tokens may come
/// next; or it left the grammar.
enum Halt {
    End(Vec<u32>),
    Invalid,
}

type Step<T> = Result<T, Halt>;

/// A cursor over a prefix.
struct Walk<'a> {
    ids: &'a [u32],
    pos: usize,
}

impl Walk<'_> {
    fn peek(&self) -> Option<u32> {
        self.ids.get(self.pos).copied()
    }

    fn word(&mut self, id: u32) -> Step<()> {
        match self.peek() {
            None => Err(Halt::End(vec![id])),
            Some(t) if t == id => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(Halt::Invalid),
        }
    }

    /// One of the single tokens `ids`.
    fn one_of(&mut self, ids: &[u32]) -> Step<()> {
        match self.peek() {
            None => Err(Halt::End(ids.to_vec())),
            Some(t) if ids.contains(&t) => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(Halt::Invalid),
        }
    }

    /// One of `phrases` (token sequences, none a prefix of another): its
    /// index.
    fn phrase(&mut self, phrases: &[Vec<u32>]) -> Step<usize> {
        let mut alive: Vec<usize> = (0..phrases.len()).collect();
        let mut k = 0;
        loop {
            if let Some(&done) = alive.iter().find(|&&i| phrases[i].len() == k) {
                return Ok(done);
            }
            let Some(t) = self.peek() else {
                return Err(Halt::End(alive.iter().map(|&i| phrases[i][k]).collect()));
            };
            alive.retain(|&i| phrases[i][k] == t);
            if alive.is_empty() {
                return Err(Halt::Invalid);
            }
            self.pos += 1;
            k += 1;
        }
    }

    /// Where the trace branches between `id` and a branch starting with
    /// one of `first`: whether the next token is `id`; if the prefix ends
    /// here, either may come.
    fn next_is(&self, id: u32, first: impl IntoIterator<Item = u32>) -> Step<bool> {
        match self.peek() {
            None => Err(Halt::End(std::iter::once(id).chain(first).collect())),
            Some(t) => Ok(t == id),
        }
    }
}

impl TraceGrammar {
    pub fn new(tokenizer: &Tokenizer) -> Self {
        let phrases = |words: Vec<&str>| -> Vec<Vec<u32>> {
            words.into_iter().map(|p| p.split(' ').map(|w| tokenizer.id(w)).collect()).collect()
        };
        Self {
            r: ["R1", "R2", "R3", "R4"].map(|w| tokenizer.id(w)),
            road: tokenizer.id("road"),
            traffic: tokenizer.id("traffic"),
            fog: tokenizer.id("fog"),
            none: tokenizer.id("none"),
            at: tokenizer.id("at"),
            comma: tokenizer.id(","),
            period: tokenizer.id("."),
            semicolon: tokenizer.id(";"),
            minus: tokenizer.id("-"),
            number: tokenizer.id(tokenizer::NUM),
            point: tokenizer.id(tokenizer::POINT),
            digits: (0..10).map(|d| tokenizer.id(&d.to_string())).collect(),
            roads: phrases(RoadKind::ALL.iter().map(|r| r.as_str()).collect()),
            lights: phrases(Light::ALL.iter().map(|l| l.as_str()).collect()),
            traffics: phrases(Traffic::ALL.iter().map(|t| t.as_str()).collect()),
            classes: phrases(ObjectClass::ALL.iter().map(|c| c.as_str()).collect()),
            behaviours: phrases(Behaviour::ALL.iter().map(|b| b.as_str()).collect()),
            decisions: phrases(Decision::ALL.iter().map(|d| d.as_str()).collect()),
        }
    }

    /// The token ids that may follow `prefix` (the ids after `<bos>`);
    /// empty when the prefix is finished (ends in `<eos>`) or already
    /// outside the grammar.
    pub fn allowed_next(&self, prefix: &[u32]) -> Vec<u32> {
        let mut walk = Walk { ids: prefix, pos: 0 };
        match self.walk(&mut walk) {
            Err(Halt::End(mut ids)) => {
                ids.sort_unstable();
                ids.dedup();
                ids
            }
            Err(Halt::Invalid) | Ok(()) => Vec::new(),
        }
    }

    fn walk(&self, w: &mut Walk) -> Step<()> {
        // R1 <road> road, <light>[, fog], <traffic> traffic.
        w.word(self.r[0])?;
        w.phrase(&self.roads)?;
        w.word(self.road)?;
        w.word(self.comma)?;
        w.phrase(&self.lights)?;
        w.word(self.comma)?;
        if w.next_is(self.fog, self.traffics.iter().map(|p| p[0]))? {
            w.word(self.fog)?;
            w.word(self.comma)?;
        }
        w.phrase(&self.traffics)?;
        w.word(self.traffic)?;
        w.word(self.period)?;
        // R2 none. | R2 <class> at <x> <y>; … (at most three).
        w.word(self.r[1])?;
        let mut classes = Vec::new();
        if w.next_is(self.none, self.classes.iter().map(|p| p[0]))? {
            w.word(self.none)?;
        } else {
            loop {
                classes.push(w.phrase(&self.classes)?);
                w.word(self.at)?;
                self.coordinate(w)?;
                self.coordinate(w)?;
                if classes.len() == MAX_CRITICAL_OBJECTS || !w.next_is(self.semicolon, [self.period])? {
                    break;
                }
                w.word(self.semicolon)?;
            }
        }
        w.word(self.period)?;
        // R3 none. | R3 <the same classes in order> <behaviour>; ….
        w.word(self.r[2])?;
        if classes.is_empty() {
            w.word(self.none)?;
        }
        for (i, &class) in classes.iter().enumerate() {
            if i > 0 {
                w.word(self.semicolon)?;
            }
            w.phrase(std::slice::from_ref(&self.classes[class]))?;
            w.phrase(&self.behaviours)?;
        }
        w.word(self.period)?;
        // R4 <decision>.
        w.word(self.r[3])?;
        w.phrase(&self.decisions)?;
        w.word(self.period)?;
        w.word(EOS)
    }

    /// A number as the tokenizer writes a coordinate: `<num>`, an optional
    /// minus, one to three digits, the point and one decimal.
    fn coordinate(&self, w: &mut Walk) -> Step<()> {
        w.word(self.number)?;
        if w.next_is(self.minus, self.digits.iter().copied())? {
            w.word(self.minus)?;
        }
        w.one_of(&self.digits)?;
        for _ in 1..INTEGER_DIGITS {
            if w.next_is(self.point, self.digits.iter().copied())? {
                break;
            }
            w.one_of(&self.digits)?;
        }
        w.word(self.point)?;
        w.one_of(&self.digits)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reasoning::{CriticalObject, Reasoning, Scene};
    use crate::tokenizer::BOS;

    fn traces() -> Vec<Reasoning> {
        let scene = |road, light, fog, traffic| Scene { road, light, fog, traffic };
        let object = |class, x, y, behaviour| CriticalObject { class, x, y, behaviour };
        vec![
            Reasoning {
                scene: scene(RoadKind::Straight, Light::Day, false, Traffic::No),
                objects: vec![],
                decision: Decision::KeepSpeed,
            },
            Reasoning {
                scene: scene(RoadKind::Intersection, Light::Night, true, Traffic::Dense),
                objects: vec![
                    object(ObjectClass::Pedestrian, 9.04, 3.2, Behaviour::Crossing),
                    object(ObjectClass::Car, 125.1, -0.44, Behaviour::CuttingIn),
                    object(ObjectClass::Barrier, 0.0, -12.0, Behaviour::Stopped),
                ],
                decision: Decision::CurveLeft,
            },
            Reasoning {
                scene: scene(RoadKind::Curve, Light::Dusk, true, Traffic::Light),
                objects: vec![object(ObjectClass::Cyclist, 40.0, -0.04, Behaviour::Oncoming)],
                decision: Decision::StayStopped,
            },
        ]
    }

    #[test]
    fn every_token_of_a_written_trace_is_allowed_where_it_stands() {
        let tokenizer = Tokenizer::new();
        let grammar = TraceGrammar::new(&tokenizer);
        for trace in traces() {
            let ids = tokenizer.encode(&trace.to_string());
            assert_eq!(ids[0], BOS);
            for k in 1..ids.len() {
                let allowed = grammar.allowed_next(&ids[1..k]);
                assert!(
                    allowed.contains(&ids[k]),
                    "{trace}: token {k} `{}` not in {allowed:?}",
                    tokenizer.decode(&ids[k..=k])
                );
            }
            assert!(grammar.allowed_next(&ids[1..]).is_empty(), "nothing after <eos>");
        }
    }

    #[test]
    fn r3_must_describe_r2_s_objects_in_order_and_r2_names_at_most_three() {
        let tokenizer = Tokenizer::new();
        let grammar = TraceGrammar::new(&tokenizer);
        let prefix = |text: &str| {
            let ids = tokenizer.encode(text);
            ids[1..ids.len() - 1].to_vec()
        };
        let r3 = prefix("R1 straight road, day, no traffic. R2 car at 39.3 0.0. R3");
        assert_eq!(grammar.allowed_next(&r3), vec![tokenizer.id("car")]);
        let after_one = prefix("R1 straight road, day, no traffic. R2 car at 39.3 0.0. R3 car moving");
        assert_eq!(grammar.allowed_next(&after_one), vec![tokenizer.id(".")]);
        let third = prefix("R1 straight road, day, no traffic. R2 car at 1.0 0.0; car at 2.0 0.0; car at 3.0 -1.5");
        assert_eq!(grammar.allowed_next(&third), vec![tokenizer.id(".")]);
        let wrong = prefix("R1 straight road, day, no traffic. R2 car at 39.3 0.0. R3 pedestrian");
        assert!(grammar.allowed_next(&wrong).is_empty(), "outside the grammar");
    }
}
