//! Invalid programs and arguments give precise errors that name the problem and values.

use accel_core::ir::{
    Builder, DType, Ex, IrError, ReduceOp, SliceError, SliceRole, ValueKind, map_slices,
};

#[test]
fn comprehension_offsets_leaving_the_input_are_rejected() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 10).unwrap();
    let err = b.comprehension("d", 0..10, x.at(1) - x).unwrap_err();
    assert_eq!(
        err,
        IrError::OffsetOutOfBounds {
            pattern: "d".into(),
            array: "x".into(),
            len: 10,
            offset: 1,
            range: 0..10
        }
    );
    let msg = err.to_string();
    for part in [
        "`d`",
        "`x`",
        "offset +1",
        "0..10",
        "elements 1..11",
        "length 10",
    ] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    let err = b.comprehension("e", 0..5, x.at(-1)).unwrap_err();
    assert_eq!(
        err,
        IrError::OffsetOutOfBounds {
            pattern: "e".into(),
            array: "x".into(),
            len: 10,
            offset: -1,
            range: 0..5
        }
    );
    assert!(err.to_string().contains("elements -1..4"), "{err}");
    // Shifting a whole expression shifts every read in it.
    let err = b.comprehension("f", 2..10, (x * 2.0).at(-3)).unwrap_err();
    assert!(
        matches!(err, IrError::OffsetOutOfBounds { offset: -3, .. }),
        "{err}"
    );
    // Exactly at the edges is fine, and an empty range reads nothing.
    b.comprehension("ok1", 1..10, x.at(-1)).unwrap();
    b.comprehension("ok2", 0..9, x.at(1)).unwrap();
    b.comprehension("ok3", 4..4, x.at(100)).unwrap();
    let backwards = std::ops::Range { start: 5, end: 3 };
    assert_eq!(
        b.comprehension("g", backwards.clone(), x).unwrap_err(),
        IrError::InvalidRange {
            pattern: "g".into(),
            range: backwards
        }
    );
    let err = b
        .reduce_over("r", ReduceOp::Sum, 0..10, x.at(2))
        .unwrap_err();
    assert!(
        matches!(err, IrError::OffsetOutOfBounds { offset: 2, .. }),
        "{err}"
    );
    // A map reads pointwise; a shifted read in a map leaves the array.
    let err = b.output("m", x.at(1)).unwrap_err();
    assert!(
        matches!(
            err,
            IrError::OffsetOutOfBounds {
                offset: 1,
                range: std::ops::Range { start: 0, end: 10 },
                ..
            }
        ),
        "{err}"
    );
    // The builder is still usable after these refusals.
    b.output("y", x + 1.0).unwrap();
    b.finish().unwrap();
}

#[test]
fn length_mismatches_name_both_arrays() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 4).unwrap();
    let y = b.input("y", 5).unwrap();
    let want = IrError::LengthMismatch {
        pattern: "z".into(),
        array: "y".into(),
        len: 5,
        expected: 4,
        expected_from: "x".into(),
    };
    assert_eq!(b.output("z", x + y).unwrap_err(), want);
    assert_eq!(
        want.to_string(),
        "`z` reads `y` of length 5, but its length is 4 (from `x`)"
    );
    assert!(matches!(
        b.sum("s", y * x).unwrap_err(),
        IrError::LengthMismatch {
            len: 5,
            expected: 4,
            ..
        }
    ));
    assert!(matches!(
        b.map([("p", x), ("q", y)]).unwrap_err(),
        IrError::LengthMismatch { .. }
    ));
}

#[test]
fn array_at_a_time_errors_surface_at_the_next_call() {
    let b = Builder::array_at_a_time(DType::F64);
    let x = b.input("x", 4).unwrap();
    let y = b.input("y", 5).unwrap();
    let z = x + y; // an operator cannot return the error: it is recorded
    let err = b.output("z", z).unwrap_err();
    assert!(
        matches!(&err, IrError::LengthMismatch { array, len: 5, expected: 4, .. } if array == "y"),
        "{err}"
    );
    assert_eq!(b.finish().unwrap_err(), err);
}

#[test]
fn unknown_lengths_and_kinds() {
    let b = Builder::new(DType::F32);
    let x = b.input("x", 3).unwrap();
    assert_eq!(
        b.output("c", Ex::lit(1.0)).unwrap_err(),
        IrError::UnknownLength {
            pattern: "c".into()
        }
    );
    assert_eq!(
        b.output("i", b.index() * 2.0).unwrap_err(),
        IrError::UnknownLength {
            pattern: "i".into()
        }
    );
    assert_eq!(
        b.reduce("any", ReduceOp::Any, x).unwrap_err(),
        IrError::KindMismatch {
            pattern: "any".into(),
            expected: ValueKind::Bool,
            found: ValueKind::Num
        }
    );
    assert_eq!(
        b.reduce_cond("sum", ReduceOp::Sum, x.lt(1.0)).unwrap_err(),
        IrError::KindMismatch {
            pattern: "sum".into(),
            expected: ValueKind::Num,
            found: ValueKind::Bool
        }
    );
    assert_eq!(
        b.keep(x + 1.0).unwrap_err(),
        IrError::NotAnArray { operation: "keep" }
    );
    assert_eq!(
        b.keep(x).unwrap_err(),
        IrError::InputAsResult { array: "x".into() }
    );
    let p = b.finish().unwrap();
    assert_eq!(
        p.evaluate::<f64>(&[&[1.0; 3]]).unwrap_err(),
        IrError::DTypeMismatch {
            program: DType::F32,
            requested: DType::F64
        }
    );
}

#[test]
fn names_are_identifiers_and_unique() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 2).unwrap();
    for bad in ["", "1x", "a b", "$0", "x-y"] {
        assert_eq!(
            b.input(bad, 2).unwrap_err(),
            IrError::InvalidName { name: bad.into() }
        );
    }
    assert_eq!(
        b.input("x", 3).unwrap_err(),
        IrError::DuplicateName { name: "x".into() }
    );
    assert_eq!(
        b.map([("a", x), ("a", x * 2.0)]).unwrap_err(),
        IrError::DuplicateName { name: "a".into() }
    );
    b.sum("s", x).unwrap();
    assert_eq!(
        b.output("s", x).unwrap_err(),
        IrError::DuplicateName { name: "s".into() }
    );
    assert!(b.input("_ok_2", 1).is_ok());
}

#[test]
fn handles_of_two_builders_do_not_mix() {
    let b1 = Builder::new(DType::F64);
    let b2 = Builder::new(DType::F64);
    let x = b1.input("x", 2).unwrap();
    let y = b2.input("y", 2).unwrap();
    assert_eq!(b2.output("z", x).unwrap_err(), IrError::MixedBuilders);
    let _ = x + y;
    assert_eq!(b1.output("w", x).unwrap_err(), IrError::MixedBuilders);
    assert_eq!(b1.finish().unwrap_err(), IrError::MixedBuilders);
    assert!(b2.finish().is_ok());
}

#[test]
fn slice_executor_lengths() {
    let a = [1.0_f64; 4];
    let mut out = [0.0_f64; 5];
    let err = map_slices([&a], [&mut out], |[v]| [v]).unwrap_err();
    assert_eq!(
        err,
        SliceError::LengthMismatch {
            role: SliceRole::Output,
            index: 0,
            expected: 4,
            found: 5
        }
    );
    assert_eq!(
        err.to_string(),
        "output slice 0 has length 5, but the other slices have length 4"
    );
}
