//! The reasoning vocabulary and tokenizer: whole words for the fixed
//! phrases of the traces, and numbers spelled digit by digit after a
//! `<num>` marker (`-12.3` → `<num> - 1 2 <pt> 3`), so that a small decoder
//! can write any coordinate with a vocabulary of about seventy tokens.

use std::collections::HashMap;

use vla_hal::ObjectClass;

use crate::decision::Decision;
use crate::reasoning::{Behaviour, Light, RoadKind, Traffic};

pub const PAD: u32 = 0;
pub const BOS: u32 = 1;
pub const EOS: u32 = 2;
pub const UNK: u32 = 3;
const SPECIALS: [&str; 4] = ["<pad>", "<bos>", "<eos>", "<unk>"];
pub(crate) const NUM: &str = "<num>";
pub(crate) const POINT: &str = "<pt>";
const PUNCTUATION: [char; 3] = [',', '.', ';'];

pub struct Tokenizer {
    words: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Tokenizer {
    /// The fixed vocabulary: every word any trace can hold.
    pub fn new() -> Self {
        let mut words: Vec<String> = SPECIALS.iter().map(|s| s.to_string()).collect();
        let mut add = |phrase: &str| {
            for w in phrase.split(' ') {
                if !words.iter().any(|x| x == w) {
                    words.push(w.to_string());
                }
            }
        };
        for fixed in ["R1", "R2", "R3", "R4", "road", "fog", "traffic", "none", "at", ",", ".", ";", "-", NUM, POINT] {
            add(fixed);
        }
        for d in 0..10 {
            add(&d.to_string());
        }
        RoadKind::ALL.iter().for_each(|r| add(r.as_str()));
        Light::ALL.iter().for_each(|l| add(l.as_str()));
        Traffic::ALL.iter().for_each(|t| add(t.as_str()));
        ObjectClass::ALL.iter().for_each(|c| add(c.as_str()));
        Behaviour::ALL.iter().for_each(|b| add(b.as_str()));
        Decision::ALL.iter().for_each(|d| add(d.as_str()));
        let ids = words.iter().enumerate().map(|(i, w)| (w.clone(), i as u32)).collect();
        Self { words, ids }
    }

    pub fn vocabulary_size(&self) -> usize {
        self.words.len()
    }

    pub(crate) fn id(&self, word: &str) -> u32 {
        self.ids.get(word).copied().unwrap_or(UNK)
    }

    /// Token ids of a text, framed by `<bos>` and `<eos>`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = vec![BOS];
        for raw in text.split_whitespace() {
            let word = raw.trim_end_matches(PUNCTUATION);
            let is_number = word.parse::<f64>().is_ok() && word.chars().any(|c| c.is_ascii_digit());
            if is_number {
                out.push(self.id(NUM));
                for c in word.chars() {
                    out.push(match c {
                        '.' => self.id(POINT),
                        c => self.id(&c.to_string()),
                    });
                }
            } else if !word.is_empty() {
                out.push(self.id(word));
            }
            // A number's own point is inside `word`; what follows is punctuation.
            for p in raw[word.len()..].chars() {
                out.push(self.id(&p.to_string()));
            }
        }
        out.push(EOS);
        out
    }

    /// The text of token ids; stops at `<eos>`, skips `<bos>` and `<pad>`.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut text = String::new();
        let mut in_number = false;
        for &id in ids {
            if id == EOS {
                break;
            }
            if id == BOS || id == PAD {
                continue;
            }
            let word = self.words.get(id as usize).map_or("<unk>", String::as_str);
            let glued = in_number && (word == POINT || word == "-" || word.chars().all(|c| c.is_ascii_digit()));
            if word == NUM {
                if !text.is_empty() {
                    text.push(' ');
                }
                in_number = true;
                continue;
            }
            if glued {
                text.push_str(if word == POINT { "." } else { word });
                continue;
            }
            in_number = false;
            if !(text.is_empty() || PUNCTUATION.iter().any(|p| word == p.to_string())) {
                text.push(' ');
            }
            text.push_str(word);
        }
        text
    }

    /// The same trace's token ids with R4 saying `decision` instead (the
    /// ids unchanged when they hold no R4): the label of a trace about
    /// another plan in the same scene.
    pub fn with_decision(&self, ids: &[u32], decision: Decision) -> Vec<u32> {
        let r4 = self.id("R4");
        let Some(at) = ids.iter().rposition(|&id| id == r4) else { return ids.to_vec() };
        let mut out = ids[..=at].to_vec();
        out.extend(self.encode(&format!("{}.", decision.as_str())).into_iter().skip(1));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_survive_encoding() {
        let t = Tokenizer::new();
        let text = "R1 intersection road, dusk, fog, light traffic. R2 pedestrian at 9.0 -3.2; car at 125.1 0.0. \
                    R3 pedestrian crossing; car cutting in. R4 follow the curve left.";
        let ids = t.encode(text);
        assert!(!ids.contains(&UNK), "every word is in the vocabulary");
        assert_eq!(t.decode(&ids), text);
        assert_eq!(t.vocabulary_size(), 66, "the README names the size");
        assert_eq!(t.decode(&t.encode("R4 fly.")), "R4 <unk>.");
    }

    #[test]
    fn r4_is_relabelled_in_place() {
        let t = Tokenizer::new();
        let scene = "R1 straight road, day, light traffic. R2 car at 12.0 0.0. R3 car braking.";
        let stopping = t.encode(&format!("{scene} R4 stop."));
        let relabelled = t.with_decision(&stopping, Decision::ChangeLaneLeft);
        assert_eq!(relabelled, t.encode(&format!("{scene} R4 change lane left.")));
        assert_eq!(t.with_decision(&t.encode(scene), Decision::Stop), t.encode(scene), "no R4: unchanged");
    }
}
