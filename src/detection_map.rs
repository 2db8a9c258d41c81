//! Detection mAP by centre distance, the nuScenes way: for each class and
//! each distance threshold {0.5, 1, 2, 4} m, detections of all frames
//! ranked by score and matched greedily to the nearest unmatched true
//! object of that class within the threshold; AP is the area under the
//! precision–recall curve (precision made monotone, sampled at 101 recall
//! points); mAP is the mean over the thresholds and the classes that have
//! true objects.

use std::collections::BTreeMap;

use vla_hal::{Box3D, Detection, ObjectClass};

pub const THRESHOLDS_M: [f64; 4] = [0.5, 1.0, 2.0, 4.0];

/// The detections and the true objects of one frame.
type Frame = (Vec<Detection>, Vec<(ObjectClass, Box3D)>);

/// Detections and true objects of many frames.
#[derive(Debug, Default)]
pub struct DetectionMap {
    frames: Vec<Frame>,
}

impl DetectionMap {
    pub fn add_frame(&mut self, detections: Vec<Detection>, truth: Vec<(ObjectClass, Box3D)>) {
        self.frames.push((detections, truth));
    }

    /// AP of one class at one threshold; `None` when the class has no true
    /// object.
    pub fn average_precision(&self, class: ObjectClass, threshold_m: f64) -> Option<f64> {
        let positives: usize = self.frames.iter().map(|(_, t)| t.iter().filter(|(c, _)| *c == class).count()).sum();
        if positives == 0 {
            return None;
        }
        let mut ranked: Vec<(usize, &Detection)> = self
            .frames
            .iter()
            .enumerate()
            .flat_map(|(f, (d, _))| d.iter().filter(|d| d.class == class).map(move |d| (f, d)))
            .collect();
        ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
        let mut taken: Vec<Vec<bool>> = self.frames.iter().map(|(_, t)| vec![false; t.len()]).collect();
        let (mut tp, mut curve) = (0usize, Vec::with_capacity(ranked.len()));
        for (k, (frame, d)) in ranked.iter().enumerate() {
            let truth = &self.frames[*frame].1;
            let nearest = truth
                .iter()
                .enumerate()
                .filter(|(i, (c, _))| *c == class && !taken[*frame][*i])
                .map(|(i, (_, b))| (i, (b.center[0] - d.bbox.center[0]).hypot(b.center[1] - d.bbox.center[1])))
                .filter(|(_, dist)| *dist <= threshold_m)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = nearest {
                taken[*frame][i] = true;
                tp += 1;
            }
            curve.push((tp as f64 / positives as f64, tp as f64 / (k + 1) as f64));
        }
        // Precision made monotone from the right, then sampled.
        for i in (0..curve.len().saturating_sub(1)).rev() {
            curve[i].1 = curve[i].1.max(curve[i + 1].1);
        }
        let ap = (0..=100)
            .map(|r| {
                let recall = r as f64 / 100.0;
                curve.iter().find(|(rc, _)| *rc >= recall).map_or(0.0, |(_, p)| *p)
            })
            .sum::<f64>()
            / 101.0;
        Some(ap)
    }

    /// AP of each class with true objects at each of [`THRESHOLDS_M`]:
    /// where mAP is lost, by class and by how far off the centres are.
    pub fn class_average_precisions(&self) -> BTreeMap<&'static str, Vec<f64>> {
        ObjectClass::ALL
            .iter()
            .filter_map(|&c| {
                let aps: Option<Vec<f64>> = THRESHOLDS_M.iter().map(|&t| self.average_precision(c, t)).collect();
                aps.map(|aps| (c.as_str(), aps))
            })
            .collect()
    }

    /// Where each class's detections miss, for a camera detector's usual
    /// questions (is it range — depth — or bearing, finding or placing?):
    /// per class with true objects, how the nearest detection of that
    /// class in the frame lies from each true object, and how many
    /// detections lie beyond the largest threshold from every true object
    /// of their class.
    pub fn localisation(&self) -> BTreeMap<&'static str, Localisation> {
        let far = THRESHOLDS_M[THRESHOLDS_M.len() - 1];
        ObjectClass::ALL
            .iter()
            .filter_map(|&class| {
                let (mut range, mut cross, mut distance) = (Vec::new(), Vec::new(), Vec::new());
                let (mut objects, mut unseen, mut false_detections) = (0, 0, 0);
                for (detections, truth) in &self.frames {
                    let truth: Vec<&Box3D> = truth.iter().filter(|(c, _)| *c == class).map(|(_, b)| b).collect();
                    let found: Vec<&Box3D> = detections.iter().filter(|d| d.class == class).map(|d| &d.bbox).collect();
                    let gap = |a: &Box3D, b: &Box3D| (a.center[0] - b.center[0]).hypot(a.center[1] - b.center[1]);
                    false_detections += found.iter().filter(|d| truth.iter().all(|t| gap(d, t) > far)).count();
                    for t in &truth {
                        objects += 1;
                        let Some(d) = found.iter().min_by(|a, b| gap(a, t).total_cmp(&gap(b, t))) else {
                            unseen += 1;
                            continue;
                        };
                        // Along and across the ray from the ego to the object.
                        let norm = t.center[0].hypot(t.center[1]).max(1e-6);
                        let (ux, uy) = (t.center[0] / norm, t.center[1] / norm);
                        let (dx, dy) = (d.center[0] - t.center[0], d.center[1] - t.center[1]);
                        range.push(dx * ux + dy * uy);
                        cross.push((dy * ux - dx * uy).abs());
                        distance.push(gap(d, t));
                    }
                }
                (objects > 0).then(|| {
                    let loc = Localisation {
                        objects,
                        unseen,
                        median_error_m: median(&mut distance),
                        median_range_error_m: median(&mut range),
                        median_cross_range_error_m: median(&mut cross),
                        false_detections,
                    };
                    (class.as_str(), loc)
                })
            })
            .collect()
    }

    /// Mean AP over the thresholds and the classes with true objects
    /// (`None` when there are none at all).
    pub fn mean_average_precision(&self) -> Option<f64> {
        let aps: Vec<f64> = self.class_average_precisions().into_values().flatten().collect();
        (!aps.is_empty()).then(|| aps.iter().sum::<f64>() / aps.len() as f64)
    }
}

/// How one class's detections lie from its true objects
/// ([`DetectionMap::localisation`]); medians over the true objects that
/// have a detection of their class in their frame (`null` where none has).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Localisation {
    /// True objects of the class.
    pub objects: usize,
    /// True objects in frames without any detection of their class.
    pub unseen: usize,
    /// Distance from the nearest detection of the class (m).
    pub median_error_m: Option<f64>,
    /// Along the ray from the ego, signed: positive where the detection
    /// lies beyond the object (m) — a camera's depth error.
    pub median_range_error_m: Option<f64>,
    /// Across that ray, unsigned (m): where it is seen.
    pub median_cross_range_error_m: Option<f64>,
    /// Detections farther than the largest threshold from every true
    /// object of their class in their frame.
    pub false_detections: usize,
}

fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f64, y: f64) -> Box3D {
        Box3D { center: [x, y, 0.8], size: [4.5, 1.9, 1.5], yaw: 0.0, velocity: [0.0; 2] }
    }

    fn det(class: ObjectClass, x: f64, score: f64) -> Detection {
        Detection { class, bbox: at(x, 0.0), score }
    }

    #[test]
    fn perfect_missed_and_misplaced_detections() {
        let mut m = DetectionMap::default();
        m.add_frame(vec![det(ObjectClass::Car, 10.0, 0.9)], vec![(ObjectClass::Car, at(10.0, 0.0))]);
        assert_eq!(m.mean_average_precision(), Some(1.0));
        // A second car nobody found: recall stops at one half.
        m.add_frame(vec![], vec![(ObjectClass::Car, at(20.0, 0.0))]);
        let ap = m.average_precision(ObjectClass::Car, 2.0).unwrap();
        assert!((ap - 51.0 / 101.0).abs() < 1e-9, "{ap}");
        // 1.5 m off: a hit at 2 and 4 m, a miss at 0.5 and 1 m.
        let mut off = DetectionMap::default();
        off.add_frame(vec![det(ObjectClass::Car, 11.5, 0.8)], vec![(ObjectClass::Car, at(10.0, 0.0))]);
        assert_eq!(off.average_precision(ObjectClass::Car, 1.0), Some(0.0));
        assert_eq!(off.average_precision(ObjectClass::Car, 2.0), Some(1.0));
        assert_eq!(off.mean_average_precision(), Some(0.5));
        assert_eq!(off.class_average_precisions(), BTreeMap::from([("car", vec![0.0, 0.0, 1.0, 1.0])]));
        // The wrong class finds nothing; classes without truth do not count.
        let mut wrong = DetectionMap::default();
        wrong.add_frame(vec![det(ObjectClass::Truck, 10.0, 0.9)], vec![(ObjectClass::Car, at(10.0, 0.0))]);
        assert_eq!(wrong.mean_average_precision(), Some(0.0));
        assert_eq!(wrong.average_precision(ObjectClass::Truck, 1.0), None);
    }

    #[test]
    fn localisation_splits_the_error_along_and_across_the_ray() {
        let mut m = DetectionMap::default();
        // 1.5 m too far, on the ray; a second car unseen...
        m.add_frame(vec![det(ObjectClass::Car, 11.5, 0.9)], vec![(ObjectClass::Car, at(10.0, 0.0))]);
        m.add_frame(vec![], vec![(ObjectClass::Car, at(20.0, 0.0))]);
        // ...and one 0.5 m short and 2 m to its side, beside a false car.
        let beside = Detection { class: ObjectClass::Car, bbox: at(19.5, 2.0), score: 0.7 };
        m.add_frame(vec![beside, det(ObjectClass::Car, 35.0, 0.4)], vec![(ObjectClass::Car, at(20.0, 0.0))]);
        let car = &m.localisation()["car"];
        assert_eq!((car.objects, car.unseen, car.false_detections), (3, 1, 1));
        assert_eq!(car.median_range_error_m, Some(1.5));
        assert_eq!(car.median_cross_range_error_m, Some(2.0));
        assert_eq!(car.median_error_m, Some(0.5f64.hypot(2.0)));
        assert_eq!(m.localisation().len(), 1, "classes without true objects are left out");
    }

    #[test]
    fn a_confident_false_positive_costs_more_than_an_unsure_one() {
        let truth = vec![(ObjectClass::Car, at(10.0, 0.0))];
        let mut sure = DetectionMap::default();
        sure.add_frame(vec![det(ObjectClass::Car, 30.0, 0.9), det(ObjectClass::Car, 10.0, 0.5)], truth.clone());
        let mut unsure = DetectionMap::default();
        unsure.add_frame(vec![det(ObjectClass::Car, 30.0, 0.1), det(ObjectClass::Car, 10.0, 0.5)], truth);
        assert!(sure.mean_average_precision().unwrap() < unsure.mean_average_precision().unwrap());
    }
}
