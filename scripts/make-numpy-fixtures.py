"""Writes the NumPy files the .npy/.npz tests decode: test/fixtures/numpy/.

Run from the repository root: python3 scripts/make-numpy-fixtures.py
expected.json records, for each accepted file, the dtype and shape numpy saved
and the values as numpy holds them (float32 values widened exactly to float64).
"""
import io
import json
import os

import numpy as np

OUT = os.path.join('test', 'fixtures', 'numpy')
os.makedirs(OUT, exist_ok=True)
expected = {}


def save(name, array, version=None, allow_pickle=False):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, array, allow_pickle=allow_pickle)
    else:
        with open(path, 'wb') as f:
            np.lib.format.write_array(f, array, version=version, allow_pickle=allow_pickle)


def describe(array):
    return {
        'descr': array.dtype.str,
        'shape': list(array.shape),
        'values': [v.item() for v in np.ravel(array, order='C')],
    }


def accepted(name, array, **kwargs):
    save(name, array, **kwargs)
    expected[name] = describe(array)


accepted('float32.npy', np.array([[0.1, -2.5, 3e-38], [1e30, 0.0, -0.0]], dtype=np.float32))
accepted('float64.npy', np.array([0.1, -1.5, 123456789.123, 1e-300], dtype=np.float64))
accepted('int32.npy', np.array([[-2147483648, 0], [7, 2147483647]], dtype=np.int32))
accepted('int64.npy', np.array([0, 1, 2, -3, 2147483647], dtype=np.int64))
accepted('uint8.npy', np.arange(0, 256, 51, dtype=np.uint8).reshape(2, 3))
accepted('bool.npy', np.array([True, False, True]))
accepted('int16.npy', np.array([-32768, 32767], dtype=np.int16))
accepted('float32-be.npy', np.array([1.5, -0.25], dtype='>f4'))
accepted('int32-be.npy', np.array([1, -2, 65536], dtype='>i4'))
accepted('scalar.npy', np.array(42, dtype=np.int32))
accepted('empty.npy', np.zeros((0, 3), dtype=np.float32))
accepted('v2.npy', np.array([[1, 2], [3, 4]], dtype=np.float32), version=(2, 0))
accepted('v3.npy', np.array([5, 6], dtype=np.uint8), version=(3, 0))

save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save('object.npy', np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
save('unicode.npy', np.array(['setosa', 'virginica']))
save('float16.npy', np.array([1.0], dtype=np.float16))
save('structured.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))
save('int64-big.npy', np.array([1, 2, 2**40], dtype=np.int64))
save('float32-nan.npy', np.array([[0, 1, 2], [3, np.nan, 5]], dtype=np.float32))
save('float64-inf.npy', np.array([1.0, -np.inf], dtype=np.float64))
save('float64-huge.npy', np.array([1.0, 1e300], dtype=np.float64))

x = np.array([[0.5, 1.0], [1.5, 2.0], [2.5, 3.0], [3.5, 4.0]], dtype=np.float32)
y = np.array([0, 1, 1, 0], dtype=np.int64)
np.savez(os.path.join(OUT, 'savez.npz'), x=x, y=y)
np.savez_compressed(os.path.join(OUT, 'savez-compressed.npz'), x=x, y=y)
images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28).astype(np.uint8)
np.savez_compressed(os.path.join(OUT, 'keras-style.npz'), x_train=images, y_train=np.array([3, 7], dtype=np.uint8))
for name in ('savez.npz', 'savez-compressed.npz'):
    expected[name] = {key: describe(a) for key, a in (('x', x), ('y', y))}

with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    # One file per line: short enough to read, and a regenerated file diffs by fixture.
    lines = [f'  {json.dumps(name)}: {json.dumps(expected[name])}' for name in sorted(expected)]
    f.write('{\n' + ',\n'.join(lines) + '\n}\n')
