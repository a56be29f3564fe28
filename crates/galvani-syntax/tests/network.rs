//! Network files (`network NAME`): the blocks and fields of the network page of the
//! language, as the parser hands them on, and the errors of a broken block.

use galvani_diag::FileId;
use galvani_syntax::ast::{FieldKind, FieldValue, NetworkItemKind};
use galvani_syntax::{parse_all, parse_file_all, parse_network_all, SourceFile};

/// The library's Brunel network (`networks/brunel.gal`).
fn brunel() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../networks/brunel.gal");
    std::fs::read_to_string(path).unwrap()
}

const DEPRESSION: &str = r#"network stp "Short-term depression (Dayan & Abbott)"
population X {
    poisson = 20 Hz
    size = 100
}
population S {
    spikes = file("times.csv")
}
population E {
    model = "lif_cond.gal"
    size = 10
    param tau_m = 20 ms   # an override
}
connect X -> E {
    rule = probability(0.1)
    delay = 1 ms
    autapses = true
    param w     = 2 nS
    param P_0   = 0.5
    param f_D   = 0.4
    param tau_P = 500 ms
    state P = P_0
    dP/dt = (P_0 - P) / tau_P
    on pre {
        g_e += w * P
        P -= f_D * P
    }
}
"#;

#[test]
fn brunel_parses_to_its_blocks() {
    let network = parse_network_all(&brunel(), FileId(0)).unwrap();
    assert_eq!(network.name.name, "brunel");
    let kinds: Vec<&str> = network
        .items
        .iter()
        .map(|item| match &item.kind {
            NetworkItemKind::Param { .. } => "param",
            NetworkItemKind::Population { .. } => "population",
            NetworkItemKind::Connect { .. } => "connect",
            NetworkItemKind::Drive { .. } => "drive",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "param",
            "param",
            "param",
            "param",
            "population",
            "population",
            "connect",
            "connect",
            "drive"
        ]
    );
    let NetworkItemKind::Connect { pre, posts, fields } = &network.items[7].kind else {
        panic!("a connect block");
    };
    assert_eq!(pre.name, "I");
    let posts: Vec<&str> = posts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(posts, ["E", "I"]);
    assert_eq!(fields.len(), 3);
    let FieldKind::OnPre { body } = &fields[2].kind else {
        panic!("on pre");
    };
    assert_eq!(body.len(), 1);
    // Spans point into the file.
    assert_eq!(
        &brunel()[fields[0].span.range()],
        "rule  = fixed_indegree(200)"
    );
    let NetworkItemKind::Drive { targets, fields } = &network.items[8].kind else {
        panic!("a drive block");
    };
    assert_eq!(targets.len(), 2);
    assert!(
        matches!(&fields[0].kind, FieldKind::Set { key, value: FieldValue::Expr(_) } if key.name == "poisson")
    );
}

#[test]
fn synapse_states_params_and_overrides() {
    let network = parse_network_all(DEPRESSION, FileId(0)).unwrap();
    let NetworkItemKind::Population { fields, .. } = &network.items[1].kind else {
        panic!("a population");
    };
    assert!(
        matches!(&fields[0].kind, FieldKind::Set { value: FieldValue::File(name, _), .. } if name == "times.csv")
    );
    let NetworkItemKind::Population { fields, .. } = &network.items[2].kind else {
        panic!("a population");
    };
    assert!(
        matches!(&fields[0].kind, FieldKind::Set { value: FieldValue::Text(text, _), .. } if text == "lif_cond.gal")
    );
    assert!(matches!(&fields[2].kind, FieldKind::Param { name, .. } if name.name == "tau_m"));
    let NetworkItemKind::Connect { fields, .. } = &network.items[3].kind else {
        panic!("a connect block");
    };
    let kinds: Vec<&str> = fields
        .iter()
        .map(|f| match &f.kind {
            FieldKind::Set { .. } => "set",
            FieldKind::Param { .. } => "param",
            FieldKind::Init { .. } => "init",
            FieldKind::State { .. } => "state",
            FieldKind::Ode { .. } => "ode",
            FieldKind::OnPre { .. } => "on pre",
        })
        .collect();
    assert_eq!(
        kinds,
        ["set", "set", "set", "param", "param", "param", "param", "state", "ode", "on pre"]
    );
    let FieldKind::OnPre { body } = &fields[9].kind else {
        panic!("on pre");
    };
    assert_eq!(body.len(), 2);
}

#[test]
fn either_kind_of_file_is_told_apart_by_its_first_line() {
    assert!(matches!(
        parse_file_all(&brunel(), FileId(0)),
        Ok(SourceFile::Network(_))
    ));
    let model = "model m\nstate V = 0\ndV/dt = -V / 1 ms\n";
    assert!(matches!(
        parse_file_all(model, FileId(0)),
        Ok(SourceFile::Model(_))
    ));
    // A network given where a model is expected says what it found.
    let errors = parse_all(&brunel(), FileId(0)).unwrap_err();
    assert!(
        errors[0].to_string().contains("found `network`"),
        "{}",
        errors[0]
    );
}

#[test]
fn broken_blocks_are_reported_each_with_its_line() {
    let source = "network n\npopulation E {\n  size = \n}\nconnect E E {\n}\npopulation I {\n  size = 3\n}\n";
    let errors = parse_network_all(source, FileId(0)).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let lines: Vec<usize> = errors
        .iter()
        .map(|e| source[..e.span().start as usize].lines().count())
        .collect();
    assert_eq!(lines, [3, 5]);
}

/// Each broken network line says what was expected, in the language's words.
#[test]
fn errors_name_what_was_expected() {
    for (source, message) in [
        (
            "network n\npopulation E {\n  size = \n}\n",
            "expected an expression, found end of line",
        ),
        ("network n\nconnect E E {\n}\n", "expected `->`, found `E`"),
        (
            "network n\nconnect E -> {\n}\n",
            "expected a name, found `{`",
        ),
        (
            "network n\ndrive E {\n on pre { V += }\n}\n",
            "expected an expression, found `}`",
        ),
        (
            "network n\nmodel x\n",
            "expected `param`, `population`, `connect` or `drive`, found `model`",
        ),
    ] {
        let errors = parse_network_all(source, FileId(0)).unwrap_err();
        assert_eq!(errors[0].to_string(), message, "{source:?}");
    }
}
