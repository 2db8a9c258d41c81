//! A reader for NumPy `.npy` arrays of little-endian float64 in C order, the
//! format comma2k19 ships its logs in.

use std::path::Path;

use crate::error::DatasetError;

/// A float64 array: its shape and its values in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl NpyArray {
    /// Number of columns of a 2-D array (1 for a 1-D array).
    pub fn columns(&self) -> usize {
        self.shape.get(1).copied().unwrap_or(1)
    }

    /// Row `i` of a 2-D array.
    pub fn row(&self, i: usize) -> &[f64] {
        let c = self.columns();
        &self.data[i * c..(i + 1) * c]
    }

    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a `.npy` file (any file name) holding `<f8` values.
pub fn read_f64(path: &Path) -> Result<NpyArray, DatasetError> {
    let bytes = std::fs::read(path).map_err(|source| DatasetError::Io { path: path.to_path_buf(), source })?;
    parse_f64(&bytes).map_err(|reason| DatasetError::format(path, reason))
}

/// Parses the bytes of a `.npy` file holding `<f8` values.
pub fn parse_f64(bytes: &[u8]) -> Result<NpyArray, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a NumPy .npy file (magic bytes missing)".into());
    }
    let (header_len, header_start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("header is truncated or not text")?;
    if !header.contains("'descr': '<f8'") {
        return Err(format!("expected little-endian float64 ('<f8'), header is {}", header.trim()));
    }
    if header.contains("'fortran_order': True") {
        return Err("Fortran-ordered arrays are not supported".into());
    }
    let shape = parse_shape(header)?;
    let payload = &bytes[data_start..];
    // A shape from the file may multiply past any size: checked, not wrapped.
    let needed = shape.iter().try_fold(8usize, |bytes, &n| bytes.checked_mul(n));
    if needed != Some(payload.len()) {
        let needed = needed.map_or("more than any file holds".to_string(), |n| format!("{n}"));
        return Err(format!("shape {shape:?} needs {needed} bytes of data, file has {}", payload.len()));
    }
    let data =
        payload.chunks_exact(8).map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect();
    Ok(NpyArray { shape, data })
}

fn parse_shape(header: &str) -> Result<Vec<usize>, String> {
    let start = header.find("'shape': (").ok_or("header has no shape")? + "'shape': (".len();
    let end = header[start..].find(')').ok_or("shape is not closed")? + start;
    header[start..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad shape entry `{s}`")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, values: &[f64]) -> Vec<u8> {
        let mut h = header.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_one_and_two_dimensional_arrays() {
        let a =
            parse_f64(&npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", &[1.0, 2.5, -3.0])).unwrap();
        assert_eq!((a.shape.clone(), a.data.clone(), a.columns()), (vec![3], vec![1.0, 2.5, -3.0], 1));
        let b = parse_f64(&npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", &[1.0, 2.0, 3.0, 4.0]))
            .unwrap();
        assert_eq!((b.rows(), b.row(1)), (2, &[3.0, 4.0][..]));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(parse_f64(b"hello world").unwrap_err().contains("magic"));
        let ints = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", &[]);
        assert!(parse_f64(&ints).unwrap_err().contains("float64"));
        let short = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", &[1.0]);
        assert!(parse_f64(&short).unwrap_err().contains("needs 32 bytes"));
    }

    #[test]
    fn a_shape_past_any_size_is_refused_not_wrapped() {
        // 2^61 · 8 · 8 bytes wraps to 0 in u64: an empty payload once
        // passed for this shape (found by the fuzzer).
        let huge = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952, 8), }", &[]);
        let err = parse_f64(&huge).unwrap_err();
        assert!(err.contains("more than any file holds"), "{err}");
    }
}
