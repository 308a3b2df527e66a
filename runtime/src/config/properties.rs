//! Java `.properties` files, read with the `java-properties` crate (the same grammar as
//! `java.util.Properties.load`: `#`/`!` comments, `=`/`:`/space separators, continuation lines,
//! `\uXXXX` and other escapes).

use std::path::Path;

use super::ConfigMap;

/// Why a `.properties` file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PropertiesError {
    /// The file could not be opened.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a valid properties file.
    #[error("{path}: {message}")]
    Syntax {
        /// The file, or `<text>` for in-memory text.
        path: String,
        /// What the parser reported (with its line number).
        message: String,
    },
}

/// Reads and parses the `.properties` file at `path`.
pub fn read_properties_file(path: &Path) -> Result<ConfigMap, PropertiesError> {
    let file = std::fs::File::open(path).map_err(|source| PropertiesError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(std::io::BufReader::new(file), &path.display().to_string())
}

/// Parses `.properties` text.
pub fn parse_properties(text: &str) -> Result<ConfigMap, PropertiesError> {
    parse(text.as_bytes(), "<text>")
}

fn parse(reader: impl std::io::Read, path: &str) -> Result<ConfigMap, PropertiesError> {
    java_properties::read(reader)
        .map(|map| map.into_iter().collect())
        .map_err(|error| PropertiesError::Syntax {
            path: path.to_string(),
            message: error.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_comments_and_whitespace() {
        let map = parse_properties("# comment\n! also\n  a=1\nb : 2\nc 3\nd=\ne\n").unwrap();
        assert_eq!(map["a"], "1");
        assert_eq!(map["b"], "2");
        assert_eq!(map["c"], "3");
        assert_eq!(map["d"], "");
        assert_eq!(map["e"], "");
        assert_eq!(map.len(), 5);
    }

    #[test]
    fn escapes() {
        let map = parse_properties("key\\ with\\=odd\\:chars=tab\\there\\nnew\nunicode=caf\\u00e9\npath=C:\\\\dir\n")
            .unwrap();
        assert_eq!(map["key with=odd:chars"], "tab\there\nnew");
        assert_eq!(map["unicode"], "café");
        assert_eq!(map["path"], "C:\\dir");
    }

    #[test]
    fn continuation_lines_drop_leading_whitespace() {
        let map = parse_properties("list=a,\\\n    b,\\\n    c\nafter=x\n").unwrap();
        assert_eq!(map["list"], "a,b,c");
        assert_eq!(map["after"], "x");
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        let map = parse_properties("a=ends\\\\\nb=2\n").unwrap();
        assert_eq!(map["a"], "ends\\");
        assert_eq!(map["b"], "2");
    }

    #[test]
    fn later_key_wins() {
        let map = parse_properties("a=1\na=2\n").unwrap();
        assert_eq!(map["a"], "2");
    }
}
