//! The records of one chunk: decompressed into a buffer of exactly the size
//! the chunk declares, which is bounded first, checked against the chunk's
//! CRC, and framed with the same bounds checks as the file. The mcap
//! crate's own chunk reader trusts the lengths inside a chunk before its CRC
//! is known (a damaged record length makes it reserve exabytes), so the
//! reader does not use it.

use std::io::Read;

use mcap::records::{ChunkHeader, Record};

use super::framing::frame_at;

/// The most a chunk may hold uncompressed. The writer closes a chunk at
/// 1 MiB (one message larger than that gets a chunk of its own), so this
/// leaves room for any image a camera sends, while a damaged or crafted
/// size field cannot make the reader allocate more.
pub const MAX_CHUNK_BYTES: u64 = 256 << 20;

/// The chunk's records, decompressed and CRC-checked, or why not.
pub(super) fn chunk_records(header: &ChunkHeader, data: &[u8]) -> Result<Vec<u8>, String> {
    let declared = header.uncompressed_size;
    if declared > MAX_CHUNK_BYTES {
        return Err(format!("it declares {declared} bytes uncompressed, more than the {MAX_CHUNK_BYTES}-byte limit"));
    }
    let size = declared as usize;
    let records = match header.compression.as_str() {
        "" => data.to_vec(),
        "zstd" => zstd::bulk::decompress(data, size).map_err(|e| format!("zstd: {e}"))?,
        "lz4" => {
            let mut out = Vec::with_capacity(size);
            let decoder = lz4::Decoder::new(data).map_err(|e| format!("lz4: {e}"))?;
            decoder.take(declared + 1).read_to_end(&mut out).map_err(|e| format!("lz4: {e}"))?;
            out
        }
        other => return Err(format!("unsupported compression `{other}`")),
    };
    if records.len() != size {
        return Err(format!("it decompresses to {} bytes, not the {declared} it declares", records.len()));
    }
    let crc = crc32fast::hash(&records);
    if header.uncompressed_crc != 0 && crc != header.uncompressed_crc {
        return Err(format!("CRC mismatch (stored {:#010x}, computed {crc:#010x})", header.uncompressed_crc));
    }
    Ok(records)
}

/// Every record of a chunk's decompressed bytes, in order.
pub(super) fn parse_records(records: &[u8]) -> Result<Vec<Record<'_>>, String> {
    let mut parsed = Vec::new();
    let mut offset = 0u64;
    while (offset as usize) < records.len() {
        let frame = frame_at(records, offset).map_err(|what| format!("{what} at byte {offset} of its records"))?;
        parsed.push(mcap::parse_record(frame.opcode, frame.body).map_err(|e| format!("record at byte {offset}: {e}"))?);
        offset = frame.next;
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(compression: &str, uncompressed_size: u64, uncompressed_crc: u32, compressed: usize) -> ChunkHeader {
        ChunkHeader {
            message_start_time: 0,
            message_end_time: 0,
            uncompressed_size,
            uncompressed_crc,
            compression: compression.to_string(),
            compressed_size: compressed as u64,
        }
    }

    #[test]
    fn sizes_and_checksums_are_checked_before_the_records_are_trusted() {
        let records = b"records of a chunk".repeat(10);
        let crc = crc32fast::hash(&records);
        let zstd = zstd::bulk::compress(&records, 3).unwrap();
        let n = records.len() as u64;
        assert_eq!(chunk_records(&header("zstd", n, crc, zstd.len()), &zstd).unwrap(), records);
        assert_eq!(chunk_records(&header("", n, 0, records.len()), &records).unwrap(), records);
        let err = |h: ChunkHeader, data: &[u8]| chunk_records(&h, data).unwrap_err();
        assert!(err(header("zstd", u64::MAX, crc, zstd.len()), &zstd).contains("more than the"));
        assert!(err(header("zstd", n - 1, crc, zstd.len()), &zstd).contains("zstd"));
        assert!(err(header("zstd", n + 1, crc, zstd.len()), &zstd).contains("not the"));
        assert!(err(header("zstd", n, crc ^ 1, zstd.len()), &zstd).contains("CRC mismatch"));
        assert!(err(header("brotli", n, crc, zstd.len()), &zstd).contains("unsupported compression `brotli`"));
    }

    #[test]
    fn a_record_length_past_the_records_is_an_error() {
        let mut records = vec![0x05];
        records.extend_from_slice(&(1u64 << 56).to_le_bytes());
        records.extend_from_slice(b"body");
        let err = parse_records(&records).unwrap_err();
        assert!(err.contains("with 4 bytes left at byte 0 of its records"), "{err}");
        assert!(parse_records(&[]).unwrap().is_empty());
    }
}
