//! A linear pre-scan that bounds how deeply YAML flow collections (`[ … ]`, `{ … }`) nest,
//! before the YAML parser sees the text.
//!
//! libyaml's scanner, which `serde_yaml_ng` uses, looks ahead through nested flow collections to
//! decide whether each may be a mapping key, at a cost quadratic in the depth: 50 000 `[` take
//! seconds and a 16 MB document would take hours, long before its recursion limit says no. This
//! scan follows just enough of the YAML grammar to find flow collections: in flow context it is
//! exact (plain scalars there cannot hold `[]{},`, and quoted scalars start only where a node
//! starts); in block context it recognises node starts, comments, block scalars and multi-line
//! plain scalars, so that text inside them is not mistaken for structure.

/// Where the flow nesting first went past the limit: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
}

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.s.get(self.i + ahead).copied().unwrap_or(0)
    }
    fn bump(&mut self) -> u8 {
        let c = self.s[self.i];
        self.i += 1;
        if c == b'\n' {
            self.line += 1;
            self.line_start = self.i;
        }
        c
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    fn column(&self) -> usize {
        self.i - self.line_start
    }
    fn skip_to_eol(&mut self) {
        while !self.at_end() && self.peek(0) != b'\n' {
            self.i += 1;
        }
    }
    /// Skips a quoted scalar starting at the opening quote.
    fn skip_quoted(&mut self) {
        let quote = self.bump();
        while !self.at_end() {
            if self.i == self.line_start && self.document_marker() {
                return;
            }
            let c = self.bump();
            if quote == b'"' && c == b'\\' && !self.at_end() {
                self.bump();
            } else if c == quote {
                if quote == b'\'' && self.peek(0) == b'\'' {
                    self.bump();
                } else {
                    return;
                }
            }
        }
    }
    /// `---` or `...` at the start of a line: ends any scalar.
    fn document_marker(&self) -> bool {
        let rest = &self.s[self.i..];
        (rest.starts_with(b"---") || rest.starts_with(b"..."))
            && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
    }
    /// Skips a tag or anchor (`!t`, `&a`) up to the next space or flow indicator.
    fn skip_property(&mut self) {
        while !self.at_end() && !matches!(self.peek(0), b' ' | b'\t' | b'\r' | b'\n') {
            if matches!(self.peek(0), b'[' | b']' | b'{' | b'}' | b',') {
                return;
            }
            self.i += 1;
        }
    }
    /// Indentation of the line starting at `self.i`, or None for a blank or comment-only line.
    fn line_indent(&self) -> Option<usize> {
        let mut j = self.i;
        while j < self.s.len() && self.s[j] == b' ' {
            j += 1;
        }
        match self.s.get(j) {
            None | Some(b'\n') | Some(b'\r') | Some(b'#') => None,
            Some(_) => Some(j - self.i),
        }
    }
    /// Skips whole lines more indented than `indent` (and blank lines between them).
    fn skip_lines_deeper_than(&mut self, indent: usize) {
        while !self.at_end() {
            let deeper = match self.line_indent() {
                Some(n) => n > indent,
                None => self.blank_line_continues(indent),
            };
            if !deeper {
                return;
            }
            self.skip_to_eol();
            if !self.at_end() {
                self.bump();
            }
        }
    }
    /// A blank or comment line inside an indented block: it belongs to the block when the next
    /// non-blank line is still deeper than `indent`.
    fn blank_line_continues(&self, indent: usize) -> bool {
        let mut j = self.i;
        loop {
            let start = j;
            while j < self.s.len() && self.s[j] == b' ' {
                j += 1;
            }
            match self.s.get(j) {
                None => return false,
                Some(b'\n') => j += 1,
                Some(b'\r') | Some(b'#') => {
                    while j < self.s.len() && self.s[j] != b'\n' {
                        j += 1;
                    }
                    j += 1;
                }
                Some(_) => return j - start > indent,
            }
        }
    }
}

/// Checks that flow collections nest at most `limit` deep. Linear in the text.
pub fn check_flow_depth(text: &str, limit: usize) -> Result<(), TooDeep> {
    let mut sc = Scanner {
        s: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
    };
    while !sc.at_end() {
        block_line(&mut sc, limit)?;
    }
    Ok(())
}

/// Scans one line in block context (and any flow collection or multi-line scalar that starts
/// on it).
fn block_line(sc: &mut Scanner, limit: usize) -> Result<(), TooDeep> {
    while sc.peek(0) == b' ' {
        sc.bump();
    }
    // The column that continuation lines of the current node must be deeper than: the key's
    // column for `key: value`, the dash's for `- value`.
    let mut parent = sc.column();
    let mut key_col = parent;
    let mut at_start = true;
    while !sc.at_end() {
        let c = sc.peek(0);
        let next_is_space = matches!(sc.peek(1), b' ' | b'\t' | b'\r' | b'\n' | 0);
        match c {
            b'\n' => {
                sc.bump();
                return Ok(());
            }
            b' ' | b'\t' | b'\r' => {
                sc.bump();
            }
            b'#' if at_start || matches!(sc.s.get(sc.i.wrapping_sub(1)), Some(b' ' | b'\t')) => {
                sc.skip_to_eol();
            }
            b'-' if sc.column() == 0 && sc.peek(1) == b'-' && sc.peek(2) == b'-' => {
                // "---" document marker.
                sc.bump();
                sc.bump();
                sc.bump();
                at_start = true;
            }
            b'-' | b'?' if at_start && next_is_space => {
                parent = sc.column();
                sc.bump();
            }
            b':' if next_is_space => {
                parent = key_col;
                sc.bump();
                at_start = true;
            }
            b'[' | b'{' if at_start => {
                key_col = sc.column();
                flow(sc, limit)?;
                at_start = false;
            }
            b'\'' | b'"' if at_start => {
                key_col = sc.column();
                sc.skip_quoted();
                at_start = false;
            }
            b'!' | b'&' if at_start => sc.skip_property(),
            b'|' | b'>' if at_start => {
                // Block scalar: its content is every following line deeper than the parent.
                sc.skip_to_eol();
                if !sc.at_end() {
                    sc.bump();
                }
                sc.skip_lines_deeper_than(parent);
                return Ok(());
            }
            _ if at_start => {
                // A plain scalar: a key if `: ` follows on this line, else a value whose
                // continuation lines are those deeper than the parent.
                key_col = sc.column();
                plain_in_block(sc);
                if sc.at_end() || sc.peek(0) == b'\n' {
                    if !sc.at_end() {
                        sc.bump();
                    }
                    sc.skip_lines_deeper_than(parent);
                    return Ok(());
                }
                at_start = false;
            }
            _ => {
                sc.bump();
            }
        }
    }
    Ok(())
}

/// Runs through a plain scalar on this line until `: `, ` #` or the end of the line. A `: `
/// ends a key; the caller sees it next.
fn plain_in_block(sc: &mut Scanner) {
    while !sc.at_end() {
        let c = sc.peek(0);
        if c == b'\n' {
            return;
        }
        if c == b':' && matches!(sc.peek(1), b' ' | b'\t' | b'\r' | b'\n' | 0) {
            return;
        }
        if c == b'#' && matches!(sc.s.get(sc.i.wrapping_sub(1)), Some(b' ' | b'\t')) {
            sc.skip_to_eol();
            return;
        }
        sc.bump();
    }
}

/// Scans a flow collection from its opening bracket to its end (or the end of the text).
fn flow(sc: &mut Scanner, limit: usize) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut at_start = true;
    // The last node was quoted or a collection: a `:` right after it is a value indicator even
    // without a following space (JSON style).
    let mut json_like = false;
    while !sc.at_end() {
        let c = sc.peek(0);
        match c {
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(TooDeep {
                        line: sc.line,
                        column: sc.column() + 1,
                    });
                }
                sc.bump();
                at_start = true;
                json_like = false;
            }
            b']' | b'}' => {
                sc.bump();
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(());
                }
                at_start = false;
                json_like = true;
            }
            b',' => {
                sc.bump();
                at_start = true;
                json_like = false;
            }
            b':' if json_like || matches!(sc.peek(1), b' ' | b'\t' | b'\r' | b'\n' | b',') => {
                sc.bump();
                at_start = true;
                json_like = false;
            }
            b'?' if at_start && matches!(sc.peek(1), b' ' | b'\t' | b'\r' | b'\n') => {
                sc.bump();
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                sc.bump();
                if c != b'\n' && sc.peek(0) == b'#' {
                    sc.skip_to_eol();
                }
                if c == b'\n' && sc.line_indent().is_none() {
                    while sc.peek(0) == b' ' {
                        sc.bump();
                    }
                    if sc.peek(0) == b'#' {
                        sc.skip_to_eol();
                    }
                }
            }
            b'\'' | b'"' if at_start => {
                sc.skip_quoted();
                at_start = false;
                json_like = true;
            }
            b'!' | b'&' if at_start => sc.skip_property(),
            _ => {
                sc.bump();
                at_start = false;
                json_like = false;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, limit: usize) -> bool {
        check_flow_depth(text, limit).is_ok()
    }

    #[test]
    fn counts_real_flow_nesting() {
        assert!(depth_ok("a: [[1], {b: [2]}]\n", 3));
        assert!(!depth_ok("a: [[[1]]]\n", 2));
        assert!(!depth_ok("{\"a\":[[[1]]]}", 3));
        let err = check_flow_depth("x: 1\nb: [[[\n", 2).unwrap_err();
        assert_eq!((err.line, err.column), (2, 6));
    }

    #[test]
    fn brackets_inside_scalars_and_comments_do_not_count() {
        assert!(depth_ok("a: '[[[['\nb: \"{{{{\"\n", 1));
        assert!(depth_ok("a: x[[[[\n# [[[[\nb: c # [[[[\n", 1));
        assert!(depth_ok("a: |\n  [[[[\n  {{{{\nb: 1\n", 1));
        assert!(depth_ok("a: >-\n  [[[[\n\n  [[[[\nb: 1\n", 1));
        assert!(depth_ok("a: plain\n  [[[[ continued\nb: 1\n", 1));
        assert!(depth_ok("a: ['[[[', \"{{{\", x]\n", 1));
    }

    #[test]
    fn quotes_that_are_not_quote_starts_do_not_hide_structure() {
        // An apostrophe inside a plain scalar must not swallow what follows.
        assert!(!depth_ok("a: it's\nb: [[[1]]]\n", 2));
        assert!(!depth_ok("a: [it's, [[1]]]\n", 2));
        assert!(!depth_ok(
            "a: foo\n  'bar\nb: [\"]\", [\"]\", [\"]\", [1]]]]\n",
            3
        ));
        assert!(!depth_ok("a: |\n  ['\nb: [\"]\", [\"]\", [1]]]\n", 2));
        assert!(!depth_ok("a: [x:'y, [[1]]]\n", 2));
        assert!(!depth_ok("a: foo\n 'bar\nb: [\"]\", [\"]\", [1]]]\n", 2));
        assert!(!depth_ok("- - foo\n   'bar\n- [[[1]]]\n", 2));
        assert!(!depth_ok("foo\n'bar\n---\n[[[1]]]\n", 2));
        assert!(!depth_ok("a: \"x\n---\n[[[1]]]\n", 2));
    }

    #[test]
    fn block_structure_is_followed() {
        let doc = "apiVersion: weft/v1\nname: x\nnodes:\n  - id: a\n    type: core.noop@1\n    params: {a: [1, 2], b: {c: [3]}}\n  - id: b\n    params:\n      list:\n        - [1, [2]]\n";
        assert!(depth_ok(doc, 3));
        assert!(!depth_ok(doc, 1));
    }

    #[test]
    fn linear_on_hostile_input() {
        let deep = format!("a: {}", "[".repeat(1_000_000));
        let start = std::time::Instant::now();
        assert!(!depth_ok(&deep, 64));
        let quotes = format!("a: {}", "['x', ".repeat(200_000));
        assert!(!depth_ok(&quotes, 64));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
