//! Checks real HTTP answers against an OpenAPI document (3.1, as utoipa
//! writes it): the route and status are documented, and a JSON body has
//! the keys of its schema — no key the schema does not list, every key it
//! requires — with values of the types it says, through `$ref`s, `oneOf`
//! and arrays.

use serde_json::Value;

/// The path template of `document` that `path` (without its query)
/// matches: `/v1/jobs/{id}` for `/v1/jobs/backup`.
pub fn template<'a>(document: &'a Value, path: &str) -> Option<&'a str> {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    document["paths"].as_object()?.keys().find_map(|template| {
        let pattern: Vec<&str> = template.split('/').collect();
        let matches = pattern.len() == parts.len()
            && pattern
                .iter()
                .zip(&parts)
                .all(|(want, got)| want.starts_with('{') || want == got);
        matches.then_some(template.as_str())
    })
}

/// Checks one answer: `method` on `path` answered `status` with `body`
/// (`None` when it was not JSON).
///
/// # Errors
///
/// What does not match, naming the route, the status and the key.
pub fn check_answer(
    document: &Value,
    method: &str,
    path: &str,
    status: u16,
    body: Option<&Value>,
) -> Result<(), String> {
    let route = format!("{method} {path} -> {status}");
    let template = template(document, path).ok_or(format!("{route}: path not in the document"))?;
    let operation = &document["paths"][template][method.to_ascii_lowercase()];
    if operation.is_null() {
        return Err(format!("{route}: method not documented for {template}"));
    }
    let response = &operation["responses"][status.to_string()];
    if response.is_null() {
        return Err(format!("{route}: status not documented for {template}"));
    }
    let schema = &response["content"]["application/json"]["schema"];
    match (body, schema.is_null()) {
        (Some(body), false) => {
            check_value(document, schema, body, "body").map_err(|error| format!("{route}: {error}"))
        }
        (Some(_), true) => Err(format!("{route}: a JSON body where the document has none")),
        (None, _) => Ok(()),
    }
}

/// Checks `value` against `schema`; `at` names the place for the message.
///
/// # Errors
///
/// The first mismatch.
pub fn check_value(
    document: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        let target = &document["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: {reference} is not in the document"));
        }
        return check_value(document, target, value, at);
    }
    for combinator in ["oneOf", "anyOf"] {
        if let Some(choices) = schema[combinator].as_array() {
            let errors: Vec<String> = choices
                .iter()
                .filter_map(|choice| check_value(document, choice, value, at).err())
                .collect();
            if errors.len() == choices.len() {
                return Err(format!(
                    "{at}: matches none of {combinator}: {}",
                    errors.join("; ")
                ));
            }
            return Ok(());
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check_value(document, part, value, at)?;
        }
        return Ok(());
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|kind| is_type(value, kind)) {
        return Err(format!("{at}: {value} is not of type {types:?}"));
    }
    match value {
        Value::Object(object) if types.contains(&"object") || schema["properties"].is_object() => {
            let properties = schema["properties"].as_object();
            let open = schema["additionalProperties"] != Value::Bool(false) && properties.is_none();
            for (key, item) in object {
                match properties.and_then(|properties| properties.get(key)) {
                    Some(property) => {
                        check_value(document, property, item, &format!("{at}.{key}"))?
                    }
                    None if open => {}
                    None => return Err(format!("{at}: key {key:?} is not in the schema")),
                }
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                let key = required.as_str().unwrap_or_default();
                if !object.contains_key(key) {
                    return Err(format!("{at}: required key {key:?} is missing"));
                }
            }
            Ok(())
        }
        Value::Array(items) if !schema["items"].is_null() => {
            for (index, item) in items.iter().enumerate() {
                check_value(document, &schema["items"], item, &format!("{at}[{index}]"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn is_type(value: &Value, kind: &str) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_outside_the_schema_and_missing_required_keys_are_found() {
        let document = json!({
            "paths": { "/v1/jobs/{id}": { "get": { "responses": { "200": { "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/Job" } } } } } } } },
            "components": { "schemas": { "Job": {
                "type": "object",
                "properties": { "id": { "type": "string" }, "next": { "type": ["string", "null"] } },
                "required": ["id", "next"],
            } } },
        });
        let check = |body: Value| check_answer(&document, "GET", "/v1/jobs/a", 200, Some(&body));
        assert_eq!(check(json!({ "id": "a", "next": null })), Ok(()));
        assert!(
            check(json!({ "id": "a", "next": null, "extra": 1 }))
                .unwrap_err()
                .contains("\"extra\"")
        );
        assert!(
            check(json!({ "id": "a" }))
                .unwrap_err()
                .contains("\"next\"")
        );
        assert!(
            check(json!({ "id": 1, "next": null }))
                .unwrap_err()
                .contains("type")
        );
        assert!(
            check_answer(&document, "GET", "/v1/jobs/a", 404, None)
                .unwrap_err()
                .contains("status")
        );
        assert!(
            check_answer(&document, "GET", "/v1/other", 200, None)
                .unwrap_err()
                .contains("path")
        );
    }
}
