//! A small buffer on the stack in front of a sink (a hash, a body): what a request is made
//! of is many short pieces (each name, `=`, `&`, a short value), and copying those into a
//! buffer costs far less than handing each to the sink, or calling `memcpy` for each.

/// Where a [`Chunked`] buffer's bytes go.
pub(crate) trait Sink {
    fn write(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Collects bytes in `N` bytes on the stack and hands them to `sink` when full and at the
/// end. Pieces longer than half the buffer (a phone list) go to the sink directly.
pub(crate) struct Chunked<S: Sink, const N: usize> {
    buf: [u8; N],
    len: usize,
    sink: S,
}

impl<S: Sink, const N: usize> Chunked<S, N> {
    pub(crate) fn new(sink: S) -> Self {
        const { assert!(N >= 4, "room for an escape and more") };
        Chunked {
            buf: [0; N],
            len: 0,
            sink,
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, byte: u8) {
        if self.len == N {
            self.flush();
        }
        self.buf[self.len] = byte;
        self.len += 1;
    }

    /// Appends three bytes (an escape such as `%2C`).
    #[inline(always)]
    fn push3(&mut self, bytes: [u8; 3]) {
        if N - self.len < 3 {
            self.flush();
        }
        self.buf[self.len..self.len + 3].copy_from_slice(&bytes);
        self.len += 3;
    }

    #[inline(always)]
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        if bytes.len() > N - self.len {
            self.flush();
            if bytes.len() > N / 2 {
                self.sink.write(bytes);
                return;
            }
        }
        copy_short(&mut self.buf[self.len..self.len + bytes.len()], bytes);
        self.len += bytes.len();
    }

    /// Appends `name=value`, after a `&` when `amp`, all as they are: when it fits, with
    /// one check of the room left rather than one per piece.
    #[inline(always)]
    pub(crate) fn extend_pair(&mut self, amp: bool, name: &[u8], value: &[u8]) {
        let lead = usize::from(amp);
        let total = lead + name.len() + 1 + value.len();
        if total <= N - self.len {
            let dst = &mut self.buf[self.len..self.len + total];
            dst[0] = b'&';
            let (name_dst, rest) = dst[lead..].split_at_mut(name.len());
            copy_short(name_dst, name);
            if let Some((eq, value_dst)) = rest.split_first_mut() {
                *eq = b'=';
                copy_short(value_dst, value);
            }
            self.len += total;
        } else {
            if amp {
                self.push(b'&');
            }
            self.extend(name);
            self.push(b'=');
            self.extend(value);
        }
    }

    /// Appends `s` url-encoded as a form body carries it: bytes of
    /// [`crate::form::UNCHANGED`] as they are, space as `+`, every other byte as `%XX`.
    pub(crate) fn extend_urlencoded(&mut self, s: &[u8]) {
        const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
        let mut start = 0;
        for (i, &b) in s.iter().enumerate() {
            if !crate::form::UNCHANGED[usize::from(b)] {
                self.extend(&s[start..i]);
                if b == b' ' {
                    self.push(b'+');
                } else {
                    self.push3([
                        b'%',
                        HEX_UPPER[usize::from(b >> 4)],
                        HEX_UPPER[usize::from(b & 0xF)],
                    ]);
                }
                start = i + 1;
            }
        }
        self.extend(&s[start..]);
    }

    #[inline(never)]
    fn flush(&mut self) {
        if self.len > 0 {
            self.sink.write(&self.buf[..self.len]);
            self.len = 0;
        }
    }

    /// Hands the rest to the sink and gives the sink back.
    pub(crate) fn finish(mut self) -> S {
        self.flush();
        self.sink
    }
}

/// `dst.copy_from_slice(src)`, with the short lengths of names and values done by two
/// overlapping fixed-size copies (plain moves) instead of a call to `memcpy`.
#[inline(always)]
pub(crate) fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if dst.len() != n {
        // Never happens: the callers slice `dst` to `src`'s length. Were it to, this
        // panics as `copy_from_slice` does, rather than copy part of `src`.
        dst.copy_from_slice(src);
    } else if (17..=32).contains(&n) {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..].copy_from_slice(&src[n - 16..]);
    } else if (8..=16).contains(&n) {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if (4..8).contains(&n) {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if (1..4).contains(&n) {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    } else if n > 32 {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_every_short_length_exactly() {
        let src: Vec<u8> = (1..=70).collect();
        for n in 0..=70 {
            for offset in [0usize, 3] {
                let mut dst = [0u8; 80];
                copy_short(&mut dst[offset..offset + n], &src[..n]);
                assert_eq!(&dst[offset..offset + n], &src[..n], "n = {n}");
                assert!(dst[..offset].iter().all(|&b| b == 0), "n = {n}");
                assert!(dst[offset + n..].iter().all(|&b| b == 0), "n = {n}");
            }
        }
    }

    /// A pair written at once is the same as its pieces written one by one, whether it
    /// fits or not.
    #[test]
    fn pairs_are_written_as_their_pieces() {
        for n in [0usize, 1, 5, 17, 40, 100] {
            for amp in [false, true] {
                let name: Vec<u8> = (0..n / 3).map(|i| b'a' + (i % 26) as u8).collect();
                let value: Vec<u8> = (0..n).map(|i| b'0' + (i % 10) as u8).collect();
                let mut expected = Vec::new();
                if amp {
                    expected.push(b'&');
                }
                expected.extend_from_slice(&name);
                expected.push(b'=');
                expected.extend_from_slice(&value);
                for prefix in [0usize, 3, 30, 60] {
                    let mut c = Chunked::<_, 64>::new(Vec::new());
                    c.extend(&vec![b'x'; prefix]);
                    c.extend_pair(amp, &name, &value);
                    c.push(b'!');
                    let out = c.finish();
                    assert_eq!(&out[..prefix], &vec![b'x'; prefix][..]);
                    assert_eq!(
                        &out[prefix..out.len() - 1],
                        &expected[..],
                        "n {n} at {prefix}"
                    );
                    assert_eq!(out.last(), Some(&b'!'));
                }
            }
        }
    }

    /// Everything written reaches the sink once, in order, whatever the buffer size and
    /// the sizes of the pieces.
    #[test]
    fn the_sink_gets_every_byte_in_order() {
        let pieces: Vec<Vec<u8>> = (0..60usize)
            .map(|i| (0..(i * 7) % 41).map(|j| (i ^ j) as u8).collect())
            .collect();
        let mut expected = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            expected.extend_from_slice(p);
            expected.push(i as u8);
            expected.extend_from_slice(b"%AB");
        }
        /// Counts the hand-overs.
        #[derive(Default)]
        struct Counting(Vec<u8>, usize);
        impl Sink for Counting {
            fn write(&mut self, bytes: &[u8]) {
                self.0.extend_from_slice(bytes);
                self.1 += 1;
            }
        }
        fn run<const N: usize>(pieces: &[Vec<u8>]) -> (Vec<u8>, usize) {
            let mut c = Chunked::<_, N>::new(Counting::default());
            for (i, p) in pieces.iter().enumerate() {
                c.extend(p);
                c.push(i as u8);
                c.push3(*b"%AB");
            }
            let Counting(out, calls) = c.finish();
            (out, calls)
        }
        assert_eq!(run::<4>(&pieces).0, expected);
        assert_eq!(run::<16>(&pieces).0, expected);
        assert_eq!(run::<64>(&pieces).0, expected);
        let (out, calls) = run::<4096>(&pieces);
        assert_eq!(out, expected);
        assert_eq!(calls, 1, "it all fits: one hand-over at the end");
    }
}
