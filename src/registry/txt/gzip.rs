//! The gzip layer of encrypted TXT values, framed byte for byte as Go's
//! `compress/gzip` frames it when ExternalDNS compresses (best compression,
//! `Write`, `Flush`, `Close`).
//!
//! flate2 provides the deflate stream and the checksum; the framing is written
//! here because no Rust gzip encoder ends a stream as Go's does: after the sync
//! flush, Go closes with an *empty stored* final block (`01 00 00 ff ff`) where
//! zlib emits an empty fixed-Huffman one. With the zlib deflate back end the
//! compressed bytes match Go's for short label texts; Go's own deflate picks
//! different matches for longer ones, which is why an unchanged label set is
//! never re-encrypted (see [`super::TxtRegistry::content_for`]).

use std::io::Read;

use flate2::read::MultiGzDecoder;
use flate2::{Compress, CompressError, Compression, Crc, FlushCompress};

/// Go's gzip header at best compression: no name, mtime 0, XFL 2, OS 255.
const GO_HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff];

/// The empty final stored block Go's `Close` writes after the flushed data.
const GO_FINAL_BLOCK: [u8; 5] = [0x01, 0x00, 0x00, 0xff, 0xff];

/// Output room added per deflate call; label texts need one round.
const OUTPUT_STEP: usize = 256;

/// Decompressed TXT values larger than this are refused. A TXT record holds a few
/// kilobytes at most, so only a crafted stream could expand past it.
pub const MAX_DECOMPRESSED: u64 = 64 * 1024;

/// Compresses `data` into a gzip member laid out as ExternalDNS writes it.
pub fn compress(data: &[u8]) -> Result<Vec<u8>, CompressError> {
    let mut out = Vec::with_capacity(GO_HEADER.len() + data.len() + OUTPUT_STEP);
    out.extend_from_slice(&GO_HEADER);
    let mut deflate = Compress::new(Compression::best(), false);
    loop {
        out.reserve(OUTPUT_STEP);
        let consumed = usize::try_from(deflate.total_in()).unwrap_or(data.len());
        let input = data.get(consumed..).unwrap_or_default();
        deflate.compress_vec(input, &mut out, FlushCompress::Sync)?;
        let all_in = deflate.total_in() >= data.len() as u64;
        // zlib's contract: a flush is complete once it returns with output room left.
        if all_in && out.len() < out.capacity() {
            break;
        }
    }
    out.extend_from_slice(&GO_FINAL_BLOCK);
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the input length modulo 2^32 by definition (RFC 1952).
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(out)
}

/// Why a gzip stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GunzipError {
    /// Corrupt, truncated or not gzip at all.
    #[error("not a valid gzip stream: {0}")]
    Invalid(#[from] std::io::Error),
    /// Larger than any TXT value could legitimately hold.
    #[error("the gzip stream expands to more than {MAX_DECOMPRESSED} bytes")]
    TooLarge,
}

/// Decompresses any valid gzip data (several members are read in turn, as Go's
/// reader does), up to [`MAX_DECOMPRESSED`] bytes.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, GunzipError> {
    let mut out = Vec::new();
    MultiGzDecoder::new(data)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(GunzipError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use proptest::prelude::*;
    use std::io::Write;

    #[test]
    fn frames_as_go_does() {
        let out = compress(b"heritage=external-dns").unwrap();
        assert_eq!(&out[..10], &GO_HEADER);
        let tail = &out[out.len() - 13..];
        // sync flush marker, final stored block, CRC32, ISIZE
        assert_eq!(&tail[..5], &GO_FINAL_BLOCK);
        assert_eq!(
            &out[out.len() - 17..out.len() - 13],
            &[0x00, 0x00, 0xff, 0xff]
        );
        assert_eq!(&tail[9..], &21u32.to_le_bytes());
        assert_eq!(decompress(&out).unwrap(), b"heritage=external-dns");
    }

    #[test]
    fn empty_and_large_inputs_round_trip() {
        assert_eq!(decompress(&compress(b"").unwrap()).unwrap(), b"");
        let text: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(decompress(&compress(&text).unwrap()).unwrap(), text);
    }

    #[test]
    fn reads_other_encoders_and_several_members() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"heritage=").unwrap();
        let mut data = enc.finish().unwrap();
        data.extend(compress(b"external-dns").unwrap());
        assert_eq!(decompress(&data).unwrap(), b"heritage=external-dns");
    }

    #[test]
    fn refuses_garbage_and_bombs() {
        assert!(matches!(
            decompress(b"not gzip"),
            Err(GunzipError::Invalid(_))
        ));
        let mut truncated = compress(b"heritage=external-dns").unwrap();
        truncated.truncate(truncated.len() - 4);
        assert!(decompress(&truncated).is_err());
        let mut bad_crc = compress(b"heritage=external-dns").unwrap();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 0xff;
        assert!(decompress(&bad_crc).is_err());
        let bomb = compress(&vec![b'a'; (MAX_DECOMPRESSED + 1) as usize]).unwrap();
        assert!(matches!(decompress(&bomb), Err(GunzipError::TooLarge)));
    }

    proptest! {
        #[test]
        fn compress_then_decompress(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            prop_assert_eq!(decompress(&compress(&data).unwrap()).unwrap(), data);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decompress(&data);
            let mut framed = GO_HEADER.to_vec();
            framed.extend(&data);
            let _ = decompress(&framed);
        }
    }
}
