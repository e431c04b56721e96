//! OData query options as Graph reads them: `$filter` (a parser for the subset Graph accepts on the
//! collections we serve), `$select`, `$expand`, `$top`, `$count` and opaque `$skiptoken`s.

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::http::ApiError;

/// The parsed query string. Unknown options are ignored, as Graph does for most of them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query {
    pub filter: Option<String>,
    pub select: Option<Vec<String>>,
    pub expand: Vec<Expand>,
    pub top: Option<usize>,
    pub count: bool,
    pub skiptoken: Option<String>,
    pub orderby: Option<String>,
    pub search: Option<String>,
    /// Every pair as received, to rebuild `@odata.nextLink`.
    pub pairs: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expand {
    pub name: String,
    pub select: Option<Vec<String>>,
    /// `$levels` inside the parentheses (`max` or a number), as written.
    pub levels: Option<String>,
    /// Whether anything was written inside parentheses after the name.
    pub nested: bool,
}

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
        let mut q = Query::default();
        let Some(raw) = raw else { return Ok(q) };
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            let (k, v) = (k.into_owned(), v.into_owned());
            q.pairs.push((k.clone(), v.clone()));
            let name = k.strip_prefix('$').unwrap_or(&k).to_ascii_lowercase();
            match name.as_str() {
                "filter" => q.filter = Some(v),
                "select" => q.select = Some(split_list(&v)),
                "expand" => q.expand = parse_expand(&v)?,
                "top" => {
                    let n: usize = v.trim().parse().map_err(|_| {
                        ApiError::bad_request(
                            "BadRequest",
                            format!("Invalid value '{v}' for query option $top."),
                        )
                    })?;
                    q.top = Some(n);
                }
                "count" => q.count = v.eq_ignore_ascii_case("true"),
                "skiptoken" => q.skiptoken = Some(v),
                "orderby" => q.orderby = Some(v),
                "search" => q.search = Some(v),
                "skip" => {
                    return Err(ApiError::bad_request(
                        "Request_BadRequest",
                        "'$skip' is not supported by the service.",
                    ));
                }
                _ => {}
            }
        }
        Ok(q)
    }

    pub(crate) fn expands(&self, name: &str) -> Option<&Expand> {
        self.expand.iter().find(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// A digest of everything except the skip token, bound into the token so that a token from one
    /// query cannot be replayed against another.
    fn digest(&self, path: &str) -> String {
        let mut h = Sha256::new();
        h.update(path.as_bytes());
        for (k, v) in &self.pairs {
            if k.trim_start_matches('$').eq_ignore_ascii_case("skiptoken") {
                continue;
            }
            h.update(k.as_bytes());
            h.update([0]);
            h.update(v.as_bytes());
            h.update([0]);
        }
        let d = h.finalize();
        d[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(crate) fn start_position(&self, path: &str) -> Result<usize, ApiError> {
        let Some(tok) = &self.skiptoken else { return Ok(0) };
        let bad = || ApiError::bad_request("BadRequest", "Invalid $skiptoken value.");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tok.as_bytes())
            .map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = text.split(':');
        let (Some("RC1"), Some(pos), Some(digest), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if digest != self.digest(path) {
            return Err(bad());
        }
        pos.parse().map_err(|_| bad())
    }

    /// The `@odata.nextLink` for continuing at `pos`: the same query plus a fresh skip token.
    pub(crate) fn next_link(&self, base: &str, path: &str, pos: usize) -> String {
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("RC1:{pos}:{}", self.digest(path)));
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k.trim_start_matches('$').eq_ignore_ascii_case("skiptoken") {
                continue;
            }
            ser.append_pair(k, v);
        }
        ser.append_pair("$skiptoken", &token);
        // Graph's links keep `$` and `,` readable; encoded forms would work too.
        let qs = ser.finish().replace("%24", "$").replace("%2C", ",").replace('+', "%20");
        format!("{base}{path}?{qs}")
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn parse_expand(v: &str) -> Result<Vec<Expand>, ApiError> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    let mut items = Vec::new();
    for c in v.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => items.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    items.push(cur);
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if let Some(open) = item.find('(') {
            let name = item[..open].trim().to_string();
            let inner = item[open + 1..].trim_end_matches(')');
            let mut select = None;
            let mut levels = None;
            for opt in inner.split(';') {
                let (k, val) = opt.split_once('=').unwrap_or((opt, ""));
                let k = k.trim().trim_start_matches('$');
                if k.eq_ignore_ascii_case("select") {
                    select = Some(split_list(val));
                } else if k.eq_ignore_ascii_case("levels") {
                    levels = Some(val.trim().to_string());
                }
            }
            out.push(Expand { name, select, levels, nested: !inner.trim().is_empty() });
        } else {
            out.push(Expand { name: item.to_string(), select: None, levels: None, nested: false });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// $filter

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Null,
    Bool(bool),
    Num(f64),
    /// An unquoted literal such as a date-time or a GUID.
    Raw(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(String, Op, Lit),
    In(String, Vec<Lit>),
    Func(String, String, Lit),
    IsOf(String, String),
    Any(String, String, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
    Colon,
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequest", format!("Invalid filter clause: {}", msg.into()))
}

fn lex(s: &str) -> Result<Vec<Tok>, ApiError> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            ':' => {
                out.push(Tok::Colon);
                i += 1
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(invalid("unterminated string literal")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !matches!(chars[i], ' ' | '(' | ')' | ',' | '\'' | '\t' | '\n')
                {
                    // A colon ends an identifier unless it is part of a time (digits on both sides).
                    if chars[i] == ':' && !(i > start && chars[i - 1].is_ascii_digit()) {
                        break;
                    }
                    i += 1;
                }
                if i == start {
                    return Err(invalid(format!("unexpected character '{c}'")));
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }
    fn expect(&mut self, t: Tok) -> Result<(), ApiError> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(invalid(format!("expected {t:?}, found {other:?}"))),
        }
    }
    fn or(&mut self) -> Result<Expr, ApiError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, ApiError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Expr, ApiError> {
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::Open) {
            self.pos += 1;
            let e = self.or()?;
            self.expect(Tok::Close)?;
            return Ok(e);
        }
        let Some(Tok::Ident(name)) = self.next() else {
            return Err(invalid("expected a property or function"));
        };
        let lname = name.to_ascii_lowercase();
        if self.peek() == Some(&Tok::Open)
            && matches!(lname.as_str(), "startswith" | "endswith" | "contains" | "isof")
        {
            self.pos += 1;
            let Some(Tok::Ident(path)) = self.next() else {
                return Err(invalid(format!("{name} expects a property")));
            };
            self.expect(Tok::Comma)?;
            let lit = self.literal()?;
            self.expect(Tok::Close)?;
            if lname == "isof" {
                let Lit::Str(t) = lit else { return Err(invalid("isof expects a type name")) };
                return Ok(Expr::IsOf(path, t));
            }
            return Ok(Expr::Func(lname, path, lit));
        }
        // Lambda: collection/any(x:x/prop eq 'v')
        if let Some(coll) = name.strip_suffix("/any") {
            self.expect(Tok::Open)?;
            let Some(Tok::Ident(var)) = self.next() else {
                return Err(invalid("any() expects a variable"));
            };
            self.expect(Tok::Colon)?;
            let inner = self.or()?;
            self.expect(Tok::Close)?;
            return Ok(Expr::Any(coll.to_string(), var, Box::new(inner)));
        }
        let Some(Tok::Ident(op)) = self.next() else {
            return Err(invalid(format!("expected an operator after '{name}'")));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "in" => {
                self.expect(Tok::Open)?;
                let mut list = vec![self.literal()?];
                while self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                    list.push(self.literal()?);
                }
                self.expect(Tok::Close)?;
                return Ok(Expr::In(name, list));
            }
            other => return Err(invalid(format!("unsupported operator '{other}'"))),
        };
        let lit = self.literal()?;
        Ok(Expr::Cmp(name, op, lit))
    }
    fn literal(&mut self) -> Result<Lit, ApiError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Ident(s)) => Ok(match s.to_ascii_lowercase().as_str() {
                "null" => Lit::Null,
                "true" => Lit::Bool(true),
                "false" => Lit::Bool(false),
                _ => match s.parse::<f64>() {
                    Ok(n) if !s.contains('-') => Lit::Num(n),
                    _ => Lit::Raw(s),
                },
            }),
            other => Err(invalid(format!("expected a literal, found {other:?}"))),
        }
    }
}

pub(crate) fn parse_filter(s: &str) -> Result<Expr, ApiError> {
    let mut p = Parser { toks: lex(s)?, pos: 0 };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err(invalid("unexpected trailing tokens"));
    }
    Ok(e)
}

impl Expr {
    /// Every property path used outside lambdas (for checking them against the filterable list).
    pub(crate) fn paths(&self, out: &mut Vec<String>) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.paths(out);
                b.paths(out)
            }
            Expr::Not(a) => a.paths(out),
            Expr::Cmp(p, _, _) | Expr::In(p, _) | Expr::Func(_, p, _) => out.push(p.clone()),
            Expr::IsOf(p, _) => out.push(p.clone()),
            Expr::Any(c, _, _) => out.push(c.clone()),
        }
    }

    /// `field eq 'value'` clauses at the top level of a conjunction (for choosing an index).
    pub(crate) fn top_eq(&self, field: &str) -> Option<String> {
        match self {
            Expr::Cmp(p, Op::Eq, Lit::Str(v)) if p.eq_ignore_ascii_case(field) => Some(v.clone()),
            Expr::And(a, b) => a.top_eq(field).or_else(|| b.top_eq(field)),
            _ => None,
        }
    }

    pub(crate) fn uses_advanced(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => a.uses_advanced() || b.uses_advanced(),
            Expr::Not(_) => true,
            Expr::Cmp(_, Op::Ne, _) => true,
            Expr::Func(f, _, _) => f != "startswith",
            _ => false,
        }
    }
}

/// Resolves what a filter needs that is not a plain property (the type of a navigation target).
pub(crate) trait FilterContext {
    fn type_of(&self, _nav: &str, _obj: &Value) -> Option<&'static str> {
        None
    }
}

pub(crate) struct NoContext;
impl FilterContext for NoContext {}

fn lookup<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for seg in path.split('/') {
        cur = cur.get(seg)?;
    }
    Some(cur)
}

fn cmp_values(v: Option<&Value>, lit: &Lit) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    match (v, lit) {
        (None | Some(Value::Null), Lit::Null) => Some(Ordering::Equal),
        (None | Some(Value::Null), _) | (Some(_), Lit::Null) => None,
        (Some(Value::String(s)), Lit::Str(l) | Lit::Raw(l)) => {
            Some(s.to_ascii_lowercase().cmp(&l.to_ascii_lowercase()))
        }
        (Some(Value::Bool(b)), Lit::Bool(l)) => Some(b.cmp(l)),
        (Some(Value::Number(n)), Lit::Num(l)) => n.as_f64().and_then(|x| x.partial_cmp(l)),
        _ => None,
    }
}

pub(crate) fn eval(e: &Expr, obj: &Value, cx: &dyn FilterContext) -> bool {
    use std::cmp::Ordering::*;
    match e {
        Expr::And(a, b) => eval(a, obj, cx) && eval(b, obj, cx),
        Expr::Or(a, b) => eval(a, obj, cx) || eval(b, obj, cx),
        Expr::Not(a) => !eval(a, obj, cx),
        Expr::Cmp(p, op, lit) => {
            let c = cmp_values(lookup(obj, p), lit);
            match op {
                Op::Eq => c == Some(Equal),
                Op::Ne => c != Some(Equal),
                Op::Gt => c == Some(Greater),
                Op::Ge => matches!(c, Some(Greater | Equal)),
                Op::Lt => c == Some(Less),
                Op::Le => matches!(c, Some(Less | Equal)),
            }
        }
        Expr::In(p, list) => {
            let v = lookup(obj, p);
            list.iter().any(|l| cmp_values(v, l) == Some(Equal))
        }
        Expr::Func(f, p, Lit::Str(l)) => {
            let Some(Value::String(s)) = lookup(obj, p) else { return false };
            let (s, l) = (s.to_lowercase(), l.to_lowercase());
            match f.as_str() {
                "startswith" => s.starts_with(&l),
                "endswith" => s.ends_with(&l),
                _ => s.contains(&l),
            }
        }
        Expr::Func(..) => false,
        Expr::IsOf(nav, t) => {
            let want = t.trim_start_matches('#').trim_start_matches("microsoft.graph.");
            cx.type_of(nav, obj).is_some_and(|k| k.eq_ignore_ascii_case(want))
        }
        Expr::Any(coll, var, inner) => {
            let Some(Value::Array(items)) = lookup(obj, coll) else { return false };
            let inner = strip_var(inner, var);
            items.iter().any(|item| eval(&inner, item, cx))
        }
    }
}

fn strip_var(e: &Expr, var: &str) -> Expr {
    let strip = |p: &String| {
        p.strip_prefix(var)
            .and_then(|r| r.strip_prefix('/'))
            .map(str::to_string)
            .unwrap_or_else(|| p.clone())
    };
    match e {
        Expr::And(a, b) => Expr::And(Box::new(strip_var(a, var)), Box::new(strip_var(b, var))),
        Expr::Or(a, b) => Expr::Or(Box::new(strip_var(a, var)), Box::new(strip_var(b, var))),
        Expr::Not(a) => Expr::Not(Box::new(strip_var(a, var))),
        Expr::Cmp(p, op, l) => Expr::Cmp(strip(p), *op, l.clone()),
        Expr::In(p, l) => Expr::In(strip(p), l.clone()),
        Expr::Func(f, p, l) => Expr::Func(f.clone(), strip(p), l.clone()),
        other => other.clone(),
    }
}

/// Parses `$filter` and checks every property against the collection's filterable list.
pub(crate) fn checked_filter(
    q: &Query,
    type_name: &str,
    allowed: &[&str],
) -> Result<Option<Expr>, ApiError> {
    let Some(f) = &q.filter else { return Ok(None) };
    let e = parse_filter(f)?;
    let mut paths = Vec::new();
    e.paths(&mut paths);
    for p in paths {
        let head = p.split('/').next().unwrap_or_default();
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(head) || a.eq_ignore_ascii_case(&p)) {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!(
                    "Invalid filter clause: Could not find a property named '{p}' on type '{type_name}'."
                ),
            ));
        }
    }
    Ok(Some(e))
}

/// Keeps only the selected properties (plus `id`, which Graph always returns).
pub(crate) fn select(
    obj: &serde_json::Map<String, Value>,
    fields: &[String],
) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    if let Some(t) = obj.get("@odata.type") {
        out.insert("@odata.type".into(), t.clone());
    }
    if let Some(id) = obj.get("id") {
        out.insert("id".into(), id.clone());
    }
    for f in fields {
        if f == "*" {
            for (k, v) in obj {
                out.insert(k.clone(), v.clone());
            }
            continue;
        }
        if let Some((k, v)) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(f)) {
            out.insert(k.clone(), v.clone());
        } else {
            // Graph returns selected-but-unset properties as null.
            out.insert(f.clone(), Value::Null);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_evaluates() {
        let e = parse_filter(
            "roleDefinitionId eq 'abc' and (principalId eq 'P' or directoryScopeId ne '/')",
        )
        .expect("parses");
        assert!(eval(
            &e,
            &json!({"roleDefinitionId":"ABC","principalId":"p","directoryScopeId":"/"}),
            &NoContext
        ));
        assert!(!eval(
            &e,
            &json!({"roleDefinitionId":"abc","principalId":"q","directoryScopeId":"/"}),
            &NoContext
        ));
        assert_eq!(e.top_eq("roleDefinitionId").as_deref(), Some("abc"));
        let e = parse_filter(
            "activityDateTime ge 2025-06-01T00:00:00Z and targetResources/any(t:t/id eq 'u1')",
        )
        .expect("parses");
        assert!(eval(
            &e,
            &json!({"activityDateTime":"2025-07-01T00:00:00Z","targetResources":[{"id":"u1"}]}),
            &NoContext
        ));
        let e = parse_filter("id in ('a','b')").expect("parses");
        assert!(eval(&e, &json!({"id":"b"}), &NoContext));
        assert!(parse_filter("roleDefinitionId eq").is_err());
        assert!(parse_filter("a eq 'x").is_err());
    }
}
