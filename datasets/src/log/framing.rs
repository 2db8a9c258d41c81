//! The top-level records of an MCAP file as they lie in the bytes: an
//! opcode, a length and a body. Every length read from the file is checked
//! against what the file holds before it is used, and a reader that has
//! lost the framing (a damaged length or opcode) can find the next chunk.

use mcap::records::Record;

pub(super) const MAGIC: &[u8; 8] = b"\x89MCAP0\r\n";
/// Opcode and length prefix of every record.
const RECORD_PREFIX: usize = 9;
pub(super) const CHUNK_OPCODE: u8 = 0x06;

/// One top-level record: its opcode, its body and where the next begins.
pub(super) struct Frame<'a> {
    pub opcode: u8,
    pub body: &'a [u8],
    pub next: u64,
}

/// The record that starts at `offset`, or what of it runs past the end of
/// the file.
pub(super) fn frame_at(bytes: &[u8], offset: u64) -> Result<Frame<'_>, String> {
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let prefix = start.checked_add(RECORD_PREFIX).and_then(|end| bytes.get(start..end));
    let Some(prefix) = prefix else {
        return Err("a record header".to_string());
    };
    let opcode = prefix[0];
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&prefix[1..]);
    let len = u64::from_le_bytes(len_bytes);
    let body_start = start + RECORD_PREFIX;
    let available = bytes.len() - body_start;
    let body = usize::try_from(len)
        .ok()
        .and_then(|len| body_start.checked_add(len))
        .and_then(|body_end| bytes.get(body_start..body_end));
    match body {
        Some(body) => Ok(Frame { opcode, body, next: (body_start + body.len()) as u64 }),
        None => Err(format!("a record (opcode {opcode:#04x}) of {len} bytes with {available} bytes left")),
    }
}

/// The offset of the first record at or after `from` that frames and
/// parses as a chunk: where a scan that lost the framing resumes. The
/// chunk's CRC then tells whether the find was a real chunk.
pub(super) fn next_chunk(bytes: &[u8], from: u64) -> Option<u64> {
    let from = usize::try_from(from).ok()?;
    let candidates = bytes.get(from..)?.iter().enumerate().filter(|(_, b)| **b == CHUNK_OPCODE);
    candidates.map(|(i, _)| (from + i) as u64).find(|&offset| {
        frame_at(bytes, offset).is_ok_and(|f| matches!(mcap::parse_record(f.opcode, f.body), Ok(Record::Chunk { .. })))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(opcode: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![opcode];
        r.extend_from_slice(&(body.len() as u64).to_le_bytes());
        r.extend_from_slice(body);
        r
    }

    #[test]
    fn a_length_past_the_end_is_refused_before_it_is_used() {
        let mut bytes = record(0x02, b"abc");
        assert_eq!(frame_at(&bytes, 0).unwrap().next, 12);
        bytes[1..9].copy_from_slice(&u64::MAX.to_le_bytes());
        let err = frame_at(&bytes, 0).err().unwrap();
        assert!(err.contains(&format!("{} bytes with 3 bytes left", u64::MAX)), "{err}");
        assert!(frame_at(&bytes, u64::MAX).is_err());
        assert!(frame_at(&bytes, 10).is_err());
    }

    #[test]
    fn no_chunk_is_found_in_bytes_that_hold_none() {
        let mut bytes = record(0x02, b"abc");
        bytes.extend(record(CHUNK_OPCODE, b"too short for a chunk header"));
        assert_eq!(next_chunk(&bytes, 0), None);
        assert_eq!(next_chunk(&bytes, u64::MAX), None);
    }
}
