//! The abbreviation table of nom AFNOR (`data/afnor/rules.tsv`), by pass, each rule a regular
//! expression of the `regex` crate and a replacement string in JavaScript's syntax.
//!
//! The patterns are those `index.js` builds with `new RegExp(...)`; they use only literals,
//! capture groups with alternatives, `[x-y]` ranges, `^` and `$` (checked when the table is
//! parsed), on which the `regex` crate and JavaScript agree: leftmost match, alternatives
//! preferred in order, the same groups captured. The replacement strings follow JavaScript's
//! `GetSubstitution` (`$1`, `$&`, `$$`; a group that did not take part gives the empty
//! string), which the crate's own `$name` syntax does not: [`Rule::parse`] reads them.
use regex::{Regex, RegexSet};

/// The table, by pass.
pub(super) struct Rules {
    pub pass1: Pass,
    pub pass2: Pass,
    pub pass4: Pass,
    /// `rules["5"]` then `rules["1"]`, as pass 5 runs them.
    pub pass5: Pass,
    /// First names: the word matches the regex → the word becomes the initial.
    pub pass3: Vec<(Regex, Box<str>)>,
    pub pass6: Pass,
    pub pass5bis: Pass,
    pub pass9: Pass,
    /// Pass 10, written in `index.js` itself.
    pub articles_upper: Rule,
    /// Pass 12, written in `index.js` itself.
    pub articles_lower: Rule,
}

impl Rules {
    pub fn parse(tsv: &str) -> Result<Rules, String> {
        let mut lines = tsv.lines();
        if lines.next() != Some("pass\tpattern\treplacement\tsource") {
            return Err("missing header".to_owned());
        }
        let mut passes: [Vec<Rule>; 8] = Default::default();
        let mut pass3 = Vec::new();
        for (n, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            // `source` (the rule's place in rules.json) is only there for the reader.
            let &[pass, pattern, replacement, _source] = fields.as_slice() else {
                return Err(format!("line {}: expected 4 fields", n + 2));
            };
            let err = |e: String| format!("line {}: {e}", n + 2);
            if pass == "3" {
                let re = regex(pattern).map_err(err)?;
                if replacement.contains('$') || !replacement.is_ascii() {
                    return Err(err(format!("unsupported first-name replacement {replacement:?}")));
                }
                pass3.push((re, replacement.into()));
                continue;
            }
            let rule = Rule::parse(pattern, replacement).map_err(err)?;
            let index = match pass {
                "1" => 0,
                "2" => 1,
                "4" => 2,
                "5a" => 3,
                "5b" => 4,
                "6" => 5,
                "5bis" => 6,
                "9" => 7,
                _ => return Err(err(format!("unknown pass {pass:?}"))),
            };
            passes[index].push(rule);
        }
        let [pass1, pass2, pass4, mut pass5, pass5b, pass6, pass5bis, pass9] = passes;
        pass5.extend(pass5b);
        Ok(Rules {
            pass1: Pass::new(pass1)?,
            pass2: Pass::new(pass2)?,
            pass4: Pass::new(pass4)?,
            pass5: Pass::new(pass5)?,
            pass3,
            pass6: Pass::new(pass6)?,
            pass5bis: Pass::new(pass5bis)?,
            pass9: Pass::new(pass9)?,
            articles_upper: Rule::parse(" (LE|LA|LES|AU|AUX|DE|DU|DES|D|ET|A|L|SUR|EN) ", " ")?,
            articles_lower: Rule::parse(" (le|la|les|au|aux|de|du|des|d|et|a|l|sur) ", " ")?,
        })
    }
}

/// The rules of a pass, applied in order, each to the string as the rules before it left it.
/// One scan of a set of all the pass's patterns tells which rules can match the current
/// string; the others are skipped (most of them, as a name has few abbreviable words), and
/// the set is scanned again whenever the string changes.
pub(super) struct Pass {
    rules: Vec<Rule>,
    set: RegexSet,
}

impl Pass {
    fn new(rules: Vec<Rule>) -> Result<Pass, String> {
        let set = RegexSet::new(rules.iter().map(|rule| rule.re.as_str())).map_err(|e| e.to_string())?;
        Ok(Pass { rules, set })
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Applies every rule in order; `after_each` runs after each rule, matched or not, and
    /// says whether it changed the string.
    pub fn apply(&self, text: &mut String, mut after_each: impl FnMut(&mut String) -> bool) {
        let mut matching = self.set.matches(text);
        for (i, rule) in self.rules.iter().enumerate() {
            let replaced = matching.matched(i) && rule.replace_first(text);
            if after_each(text) | replaced {
                matching = self.set.matches(text);
            }
        }
    }
}

/// A pattern of the table, refused if it uses syntax outside the subset where JavaScript and
/// the `regex` crate agree (classes such as `\w` or `.` differ on non-ASCII text, quantifiers
/// and top-level alternatives are not in the table).
fn regex(pattern: &str) -> Result<Regex, String> {
    if let Some(c) = pattern.chars().find(|c| !(c.is_ascii_alphanumeric() || " ()|[]-^$".contains(*c))) {
        return Err(format!("unsupported character {c:?} in pattern {pattern:?}"));
    }
    let mut depth = 0usize;
    for c in pattern.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return Err(format!("alternative outside a group in {pattern:?}")),
            _ => {}
        }
    }
    Regex::new(pattern).map_err(|e| e.to_string())
}

/// `output = output.replace(new RegExp(pattern), replacement)`.
pub(super) struct Rule {
    re: Regex,
    replacement: Box<[Part]>,
}

/// A piece of a replacement string.
enum Part {
    Text(Box<str>),
    /// `$n` (`$&` is group 0); empty if the group did not take part in the match.
    Group(usize),
}

impl Rule {
    pub fn parse(pattern: &str, replacement: &str) -> Result<Rule, String> {
        let re = regex(pattern)?;
        let groups = re.captures_len() - 1;
        if !replacement.is_ascii() {
            return Err(format!("non-ASCII replacement {replacement:?}"));
        }
        // JavaScript's GetSubstitution, for `$$`, `$&` and one-digit `$n`.
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = replacement;
        while let Some(i) = rest.find('$') {
            text.push_str(&rest[..i]);
            let after = &rest.as_bytes()[i + 1..];
            let (group, skip) = match after {
                [b'$', ..] => {
                    text.push('$');
                    (None, 2)
                }
                [b'&', ..] => (Some(0), 2),
                [d @ b'1'..=b'9', next, ..] if next.is_ascii_digit() => {
                    return Err(format!("two-digit group reference after ${} in {replacement:?}", *d - b'0'))
                }
                [d @ b'1'..=b'9', ..] if usize::from(*d - b'0') <= groups => {
                    (Some(usize::from(*d - b'0')), 2)
                }
                [b'`' | b'\'' | b'<', ..] => return Err(format!("unsupported replacement {replacement:?}")),
                _ => {
                    text.push('$');
                    (None, 1)
                }
            };
            if let Some(group) = group {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text).into()));
                }
                parts.push(Part::Group(group));
            }
            rest = &rest[i + skip..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text.into()));
        }
        Ok(Rule { re, replacement: parts.into() })
    }

    /// Replaces the first match in `s` (in place). Returns whether there was a match.
    pub fn replace_first(&self, s: &mut String) -> bool {
        let (range, with) = match &*self.replacement {
            [] => match self.re.find(s) {
                Some(found) => (found.range(), String::new()),
                None => return false,
            },
            [Part::Text(text)] => match self.re.find(s) {
                Some(found) => (found.range(), text.to_string()),
                None => return false,
            },
            parts => {
                let Some(caps) = self.re.captures(s) else { return false };
                let mut with = String::new();
                for part in parts {
                    match part {
                        Part::Text(text) => with.push_str(text),
                        Part::Group(g) => with.push_str(caps.get(*g).map_or("", |m| m.as_str())),
                    }
                }
                (caps.get_match().range(), with)
            }
        };
        s.replace_range(range, &with);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected values were checked under Node.js with `String.prototype.replace`.
    #[test]
    fn replacement_follows_javascript_semantics() {
        let apply = |pattern: &str, replacement: &str, text: &str| {
            let rule = Rule::parse(pattern, replacement).expect("valid rule");
            let mut s = text.to_owned();
            rule.replace_first(&mut s);
            s
        };
        // leftmost match, alternatives in order with backtracking, first match only
        assert_eq!(apply(" (LE|LES) ", " ", "A LES B LE C"), "A B LE C");
        assert_eq!(
            apply("([a-z]) DE (BAR|BARRE)", "$1 de $2", "X DE BARRE y DE BARRE"),
            "X DE BARRE y de BARRE"
        );
        // a group that did not take part is empty; `$n` past the last group is literal
        assert_eq!(apply(" F( P|$)", " f$1", "A F"), "A f");
        assert_eq!(apply(" F( P|$)", " f$1", "A F P"), "A f P");
        assert_eq!(apply("A(B|C(D|))", "[$2|$1|$3|$$|$&]", "XACY"), "X[|C|$3|$|AC]Y");
        // anchors
        assert_eq!(apply("^RUE ", "r ", "RUE RUE "), "r RUE ");
        assert_eq!(apply("(^| )RUE ", " r ", "RUE X"), " r X");
        assert_eq!(apply("E$", "e", "EEE"), "EEe");
        // syntax outside the table's subset is refused
        assert!(regex("A+").is_err());
        assert!(regex("(A").is_err());
        assert!(regex("A|B").is_err());
        assert!(regex("\\w").is_err());
        assert!(Rule::parse("(A)", "$12").is_err());
    }
}
