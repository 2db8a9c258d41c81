//! Minimum-cost assignment (the Hungarian method, Kuhn–Munkres with
//! potentials, O(n²m)): which detection query answers which ground-truth
//! object when a DETR-style head is trained, each object matched to exactly
//! one query, the rest of the queries to "no object".

/// For a cost matrix of `rows` ≤ `cols` (row-major, `rows × cols`), the
/// column assigned to each row, minimising the total cost.
pub fn assign(costs: &[f64], rows: usize, cols: usize) -> Vec<usize> {
    assert!(rows <= cols && costs.len() == rows * cols, "assign needs rows <= cols and rows x cols costs");
    if rows == 0 {
        return Vec::new();
    }
    // 1-based arrays with a sentinel column 0, as in the classical method.
    let cost = |r: usize, c: usize| costs[(r - 1) * cols + (c - 1)];
    let mut u = vec![0.0; rows + 1];
    let mut v = vec![0.0; cols + 1];
    let mut owner = vec![0usize; cols + 1]; // row matched to each column
    let mut way = vec![0usize; cols + 1];
    for row in 1..=rows {
        owner[0] = row;
        let mut col0 = 0;
        let mut min_to = vec![f64::INFINITY; cols + 1];
        let mut used = vec![false; cols + 1];
        loop {
            used[col0] = true;
            let r0 = owner[col0];
            let (mut delta, mut col1) = (f64::INFINITY, 0);
            for c in 1..=cols {
                if used[c] {
                    continue;
                }
                let reduced = cost(r0, c) - u[r0] - v[c];
                if reduced < min_to[c] {
                    min_to[c] = reduced;
                    way[c] = col0;
                }
                if min_to[c] < delta {
                    delta = min_to[c];
                    col1 = c;
                }
            }
            for c in 0..=cols {
                if used[c] {
                    u[owner[c]] += delta;
                    v[c] -= delta;
                } else {
                    min_to[c] -= delta;
                }
            }
            col0 = col1;
            if owner[col0] == 0 {
                break;
            }
        }
        // Flip the augmenting path.
        while col0 != 0 {
            let prev = way[col0];
            owner[col0] = owner[prev];
            col0 = prev;
        }
    }
    let mut assignment = vec![0; rows];
    for c in 1..=cols {
        if owner[c] != 0 {
            assignment[owner[c] - 1] = c - 1;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cheapest assignment by trying every injection of rows into columns.
    fn brute_force(costs: &[f64], rows: usize, cols: usize) -> f64 {
        fn go(costs: &[f64], rows: usize, cols: usize, row: usize, used: &mut Vec<bool>) -> f64 {
            if row == rows {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    best = best.min(costs[row * cols + c] + go(costs, rows, cols, row + 1, used));
                    used[c] = false;
                }
            }
            best
        }
        go(costs, rows, cols, 0, &mut vec![false; cols])
    }

    #[test]
    fn matches_brute_force_on_small_cases() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 1000) as f64 / 10.0
        };
        for rows in 0..=5 {
            for cols in rows..=6 {
                for _ in 0..20 {
                    let costs: Vec<f64> = (0..rows * cols).map(|_| next()).collect();
                    let a = assign(&costs, rows, cols);
                    let mut seen = vec![false; cols];
                    for &c in &a {
                        assert!(!seen[c], "each column at most once");
                        seen[c] = true;
                    }
                    let total: f64 = a.iter().enumerate().map(|(r, &c)| costs[r * cols + c]).sum();
                    assert!((total - brute_force(&costs, rows, cols)).abs() < 1e-9, "{rows}x{cols}: {costs:?}");
                }
            }
        }
    }

    #[test]
    fn a_hand_made_case() {
        // Three objects, four queries: the diagonal is not the optimum.
        let costs = [4.0, 1.0, 3.0, 9.0, 2.0, 0.0, 5.0, 9.0, 3.0, 2.0, 2.0, 9.0];
        assert_eq!(assign(&costs, 3, 4), [1, 0, 2]);
    }
}
