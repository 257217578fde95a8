//! A request's header fields, stored in two allocations however many there
//! are: their bytes back to back, and where each name and value lies. A
//! `Vec<(String, Vec<u8>)>` cost two allocations per field, on every request.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Field {
    /// Where the name starts in `bytes`; the value follows it.
    start: u32,
    name_len: u32,
    value_len: u32,
}

/// Header fields in the order sent, names as sent.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    bytes: Vec<u8>,
    fields: Vec<Field>,
}

impl Headers {
    /// Room for `fields` fields of `bytes` bytes in all.
    pub fn with_capacity(fields: usize, bytes: usize) -> Headers {
        Headers {
            bytes: Vec::with_capacity(bytes),
            fields: Vec::with_capacity(fields),
        }
    }

    /// Appends a field. The parser's limits keep a head far below 4 GiB.
    pub fn push(&mut self, name: &str, value: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.extend_from_slice(value);
        let len = |n: usize| u32::try_from(n).expect("a header section under 4 GiB");
        self.fields.push(Field {
            start: len(start),
            name_len: len(name.len()),
            value_len: len(value.len()),
        });
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Each field as (name, value), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields.iter().map(|field| {
            let start = field.start as usize;
            let value_start = start + field.name_len as usize;
            let name = &self.bytes[start..value_start];
            let value = &self.bytes[value_start..value_start + field.value_len as usize];
            // Only `push` fills `bytes`, and it copies a name from a `&str`.
            let name = std::str::from_utf8(name).expect("a name pushed as a str");
            (name, value)
        })
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(fields: I) -> Headers {
        let mut headers = Headers::default();
        for (name, value) in fields {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|(name, value)| (name, String::from_utf8_lossy(value))),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_fields_in_order_with_empty_names_and_values() {
        let fields: [(&str, &[u8]); 4] = [
            ("Host", b"example"),
            ("X-Empty", b""),
            ("", b"odd"),
            ("x-bin", b"\xff\x00 "),
        ];
        let headers: Headers = fields.iter().copied().collect();
        assert_eq!(headers.len(), 4);
        assert_eq!(headers.iter().collect::<Vec<_>>(), fields);
        assert!(Headers::default().is_empty());
    }

    #[test]
    fn equal_fields_make_equal_headers() {
        let a: Headers = [("A", "1"), ("B", "2")].into_iter().collect();
        let mut b = Headers::with_capacity(2, 4);
        b.push("A", b"1");
        b.push("B", b"2");
        assert_eq!(a, b);
        let c: Headers = [("A", "12"), ("B", "")].into_iter().collect();
        assert_ne!(a, c);
    }
}
