# The graph addon, built by scripts/install-tfjs-native.mjs against the TensorFlow C library
# that tfjs-node's addon links: deps/ is a link to that library's folder, so there is one copy.
{
  'targets': [{
    'target_name': 'modelyard_graph',
    'sources': ['graph_binding.cc'],
    'include_dirs': ['<(module_root_dir)/deps/include'],
    'cflags_cc': ['-std=c++17', '-fexceptions'],
    'cflags_cc!': ['-fno-exceptions'],
    'defines': ['NAPI_VERSION=8'],
    'conditions': [
      ['OS=="linux"', {
        'libraries': ['-Wl,-rpath,\$$ORIGIN/../../deps/lib', '-ltensorflow', '-ltensorflow_framework'],
        'library_dirs': ['<(module_root_dir)/deps/lib'],
      }],
      ['OS=="mac"', {
        'libraries': ['<(module_root_dir)/deps/lib/libtensorflow.2.dylib', '<(module_root_dir)/deps/lib/libtensorflow_framework.2.dylib'],
        'xcode_settings': { 'OTHER_LDFLAGS': ['-Wl,-rpath,@loader_path/../../deps/lib'] },
      }],
    ],
  }],
}
