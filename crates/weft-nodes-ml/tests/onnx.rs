//! `ml.onnx@1` on a real ONNX file written by the test: y = x·W + b, then a softmax.

use prost::Message;
use serde_json::{Value, json};
use tract_onnx::pb::{
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto,
    TypeProto, ValueInfoProto, tensor_shape_proto, type_proto,
};
use weft_node_api::{NodeInput, NodeType, StepResult};
use weft_nodes::testing::ctx;
use weft_nodes_ml::OnnxNode;

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: 1,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| tensor_shape_proto::Dimension {
                            value: Some(tensor_shape_proto::dimension::Value::DimValue(*d)),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tensor(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: 1,
        float_data: data.to_vec(),
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: output.into(),
        ..Default::default()
    }
}

/// A 3-feature, 2-class linear classifier.
fn write_model(dir: &std::path::Path) {
    let graph = GraphProto {
        name: "linear".into(),
        node: vec![
            node("MatMul", &["x", "W"], "t"),
            node("Add", &["t", "b"], "y"),
        ],
        initializer: vec![
            tensor("W", &[3, 2], &[1.0, 0.0, 0.0, 1.0, 1.0, -1.0]),
            tensor("b", &[2], &[0.5, -0.5]),
        ],
        input: vec![value_info("x", &[1, 3])],
        output: vec![value_info("y", &[1, 2])],
        ..Default::default()
    };
    let model = ModelProto {
        ir_version: 7,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "weft-test".into(),
        graph: Some(graph),
        ..Default::default()
    };
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::write(dir.join("models/linear.onnx"), model.encode_to_vec()).unwrap();
}

async fn run(
    node: &OnnxNode,
    params: Value,
    items: Vec<Value>,
) -> Result<Vec<Value>, weft_node_api::NodeError> {
    match node.execute(&ctx(params), NodeInput::main(items)).await? {
        StepResult::Done(out) => Ok(out.get("main").unwrap_or_default().to_vec()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_real_model_scores_each_item() {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    let node = OnnxNode::new(Some(dir.path().to_path_buf()));
    let out = run(
        &node,
        json!({ "model": "models/linear.onnx", "argmaxField": "class" }),
        vec![
            json!({ "id": 1, "features": [1.0, 2.0, 3.0] }),
            json!({ "id": 2, "features": [[0, 0, 0], [0, 5, 0]] }),
        ],
    )
    .await
    .unwrap();
    // x·W + b = [x0 + x2 + 0.5, x1 - x2 - 0.5]
    assert_eq!(out[0]["prediction"], json!([4.5, -1.5]));
    assert_eq!(out[0]["class"], json!(0));
    assert_eq!(out[0]["id"], json!(1));
    assert_eq!(out[1]["prediction"], json!([[0.5, -0.5], [0.5, 4.5]]));
    assert_eq!(out[1]["class"], json!([0, 1]));
}

#[tokio::test]
async fn bad_inputs_and_paths_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    std::fs::write(dir.path().join("models/junk.onnx"), b"not a model").unwrap();
    let node = OnnxNode::new(Some(dir.path().join("models")));
    let p = json!({ "model": "linear.onnx" });
    let e = run(&node, p.clone(), vec![json!({ "features": "text" })])
        .await
        .unwrap_err();
    assert_eq!(e.code, "ml.input");
    assert!(e.message.contains("item 0"), "{}", e.message);
    let e = run(&node, p.clone(), vec![json!({ "features": [1.0, 2.0] })])
        .await
        .unwrap_err();
    assert!(matches!(e.code.as_str(), "ml.model" | "ml.run"), "{e:?}");
    for escape in ["../models/linear.onnx", "/etc/passwd"] {
        let e = run(
            &node,
            json!({ "model": escape }),
            vec![json!({ "features": [1, 2, 3] })],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "ml.outside_root", "{escape}");
    }
    let e = run(
        &node,
        json!({ "model": "junk.onnx" }),
        vec![json!({ "features": [1, 2, 3] })],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ml.model");
    let e = run(
        &node,
        json!({ "model": "missing.onnx" }),
        vec![json!({ "features": [1, 2, 3] })],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ml.not_found");
    let e = run(
        &OnnxNode::new(None),
        p,
        vec![json!({ "features": [1, 2, 3] })],
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("WEFT_MODELS_ROOT"), "{}", e.message);
}

#[test]
fn the_params_schema_is_valid_and_its_examples_pass() {
    let node = OnnxNode::new(None);
    let schema = &node.info().params_schema;
    jsonschema::meta::validate(schema).expect("valid 2020-12");
    let v = jsonschema::validator_for(schema).unwrap();
    for ex in schema["examples"].as_array().unwrap() {
        assert!(v.is_valid(ex), "{ex}");
    }
}
