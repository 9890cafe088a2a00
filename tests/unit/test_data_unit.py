"""lpwalk.data: CSV and .npz readers, and the error named for every bad file."""

import numpy as np
import pytest

from lpwalk.data import load_data


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_default_target_is_last_column(tmp_path):
    data = load_data(write(tmp_path, "a,b,y\n1,2,3\n4,5.5,-6e-1\n"))
    np.testing.assert_array_equal(data.X, [[1, 2], [4, 5.5]])
    np.testing.assert_array_equal(data.y, [3, -0.6])
    assert data.feature_names == ("a", "b") and data.target_name == "y"
    assert data.n_samples == 2 and data.n_features == 2


def test_csv_named_target_blank_lines_and_spaces(tmp_path):
    data = load_data(write(tmp_path, "t, a ,b\n\n 1, 2,3\n4,5,6\n\n"), target="t")
    np.testing.assert_array_equal(data.X, [[2, 3], [5, 6]])
    np.testing.assert_array_equal(data.y, [1, 4])
    assert data.feature_names == ("a", "b")


def test_csv_with_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx,y\n1,2\n".encode("utf-8"))
    assert load_data(path).feature_names == ("x",)


def test_npz(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.arange(6.0).reshape(3, 2), y=np.ones((3, 1)))
    data = load_data(path)
    assert data.X.shape == (3, 2) and data.y.shape == (3,)
    np.savez(path, X=np.arange(3.0), y=np.ones(3))
    assert load_data(path).X.shape == (3, 1)


@pytest.mark.parametrize(
    "text, target, match",
    [
        ("a,b,y\n1,x,3\n", None, r"line 2 \(data row 1\), column 'b': 'x' is not a number"),
        ("a,y\n1,2\n3,\n", None, r"line 3 \(data row 2\), column 'y': an empty cell"),
        ("a,y\n1,2\n3,nan\n", None, r"line 3 \(data row 2\), column 'y': 'nan' is not finite"),
        ("a,y\n1,inf\n", None, r"column 'y': 'inf' is not finite"),
        ("a,y\n1,2,3\n", None, "line 2: 3 cells but the header has 2 columns"),
        ("a,b,y\n1,2,3\n", "z", r"has no column 'z'; the columns are \['a', 'b', 'y'\]"),
        ("", None, "is empty"),
        ("\n\n", None, "is empty"),
        ("a,y\n", None, "has a header but no data rows"),
        ("y\n1\n", None, "expected at least one feature column and a target column"),
        ("a,a,y\n1,2,3\n", None, r"duplicate column names \['a'\]"),
        ("1,2,3\n4,5,6\n", None, r"line 1 \(1,2,3\) is all numbers: expected a header row"),
        ("a;b;y\n1;2;3\n", None, r"has 1 column \(\['a;b;y'\]\)"),
    ],
)
def test_bad_csv(tmp_path, text, target, match):
    with pytest.raises(ValueError, match=match):
        load_data(write(tmp_path, text), target=target)


def test_csv_variants_that_are_fine(tmp_path):
    """A byte-order mark, CRLF line ends, quoted numbers, blank lines and spaces around cells are read."""
    for text in ("\ufeffa,b,y\n1,2,3\n4,5,6\n", "a,b,y\r\n1,2,3\r\n4,5,6\r\n", 'a,b,y\n"1","2","3"\n4,5,6\n',
                 "a,b,y\n1,2,3\n\n4,5,6\n", "a,b,y\n1, 2 ,3\n4,5,6\n"):
        data = load_data(write(tmp_path, text))
        np.testing.assert_array_equal(data.X, [[1.0, 2.0], [4.0, 5.0]])
        np.testing.assert_array_equal(data.y, [3.0, 6.0])
        assert data.feature_names == ("a", "b") and data.target_name == "y"


def test_csv_not_text(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ValueError, match="could not read .* as a text CSV file"):
        load_data(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file: .*missing.csv"):
        load_data(tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError, match="no such file: .*missing.npz"):
        load_data(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="is a folder"):
        load_data(tmp_path)


def test_unreadable_csv(tmp_path, make_unreadable):
    path = write(tmp_path, "a,y\n1,2\n")
    make_unreadable(path)
    with pytest.raises(ValueError, match="could not read"):
        load_data(path)


@pytest.mark.parametrize(
    "arrays, match",
    [
        ({"X": np.ones((3, 2))}, r"missing array\(s\) \['y'\] \(found \['X'\]\)"),
        ({"features": np.ones((3, 2))}, r"missing array\(s\) \['X', 'y'\]"),
        ({"X": np.ones((3, 2)), "y": np.ones(4)}, r"inconsistent numbers of samples: \[3, 4\]"),
        ({"X": np.ones((0, 2)), "y": np.ones(0)}, r"is empty \(shape \(0, 2\)\)"),
        ({"X": np.array([[1.0, np.nan]]), "y": np.ones(1)}, r"X in .* contains NaN or inf \(first at index \(0, 1\)\)"),
        ({"X": np.ones((2, 1)), "y": np.array([1.0, np.inf])}, r"y in .* contains NaN or inf \(first at index 1\)"),
        ({"X": np.ones((2, 2, 2)), "y": np.ones(2)}, "must be 2-dimensional"),
    ],
)
def test_bad_npz(tmp_path, arrays, match):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match):
        load_data(path)


def test_npz_string_arrays(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.array([["a"], ["b"]]), y=np.ones(2))
    with pytest.raises(TypeError, match="X in .* must be a numeric array"):
        load_data(path)


def test_npz_not_an_archive_and_target_given(tmp_path):
    path = write(tmp_path, "not a zip", name="d.npz")
    with pytest.raises(ValueError, match="could not read .* as an .npz file"):
        load_data(path)
    with pytest.raises(ValueError, match="applies to CSV files only"):
        load_data(path, target="y")
