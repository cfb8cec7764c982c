// A thin N-API layer over the TensorFlow C API's graph and session functions.
// It knows nothing about layers or training: the TypeScript side (src/graph)
// builds graphs op by op through it and runs them.
#include <node_api.h>
#include <tensorflow/c/c_api.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

#define CHECK_NAPI(env, call)                                      \
  do {                                                             \
    if ((call) != napi_ok) {                                       \
      ThrowLastError(env);                                         \
      return nullptr;                                              \
    }                                                              \
  } while (0)

void ThrowLastError(napi_env env) {
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, nullptr, info && info->error_message ? info->error_message : "N-API call failed");
}

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

struct StatusHolder {
  TF_Status* status = TF_NewStatus();
  ~StatusHolder() { TF_DeleteStatus(status); }
  bool ok() const { return TF_GetCode(status) == TF_OK; }
  std::string message() const { return TF_Message(status); }
};

struct Graph {
  TF_Graph* graph = TF_NewGraph();
  ~Graph() { TF_DeleteGraph(graph); }
};

struct Session {
  TF_Session* session = nullptr;
  napi_ref graph_ref = nullptr;  // keeps the graph alive as long as the session
  int runs_in_flight = 0;
  bool close_requested = false;
};

void CloseSession(napi_env env, Session* s) {
  if (s->session) {
    StatusHolder status;
    TF_CloseSession(s->session, status.status);
    TF_DeleteSession(s->session, status.status);
    s->session = nullptr;
  }
  if (s->graph_ref && env) {
    napi_delete_reference(env, s->graph_ref);
    s->graph_ref = nullptr;
  }
}

// ---------------------------------------------------------------- argument helpers

bool GetString(napi_env env, napi_value value, std::string* out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->resize(length);
  std::vector<char> buffer(length + 1);
  if (napi_get_value_string_utf8(env, value, buffer.data(), length + 1, &length) != napi_ok) return false;
  out->assign(buffer.data(), length);
  return true;
}

bool GetInt64(napi_env env, napi_value value, int64_t* out) {
  return napi_get_value_int64(env, value, out) == napi_ok;
}

bool GetNamed(napi_env env, napi_value object, const char* key, napi_value* out) {
  return napi_get_named_property(env, object, key, out) == napi_ok;
}

bool ArrayLength(napi_env env, napi_value array, uint32_t* length) {
  bool is_array = false;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array) return false;
  return napi_get_array_length(env, array, length) == napi_ok;
}

bool GetInt64Array(napi_env env, napi_value array, std::vector<int64_t>* out) {
  uint32_t length = 0;
  if (!ArrayLength(env, array, &length)) return false;
  out->resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    napi_value item;
    if (napi_get_element(env, array, i, &item) != napi_ok || !GetInt64(env, item, &(*out)[i])) return false;
  }
  return true;
}

Graph* UnwrapGraph(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || !data) return nullptr;
  return static_cast<Graph*>(data);
}

Session* UnwrapSession(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || !data) return nullptr;
  return static_cast<Session*>(data);
}

// An output is `[operationName, index]`.
bool GetOutput(napi_env env, TF_Graph* graph, napi_value value, TF_Output* out, std::string* error) {
  uint32_t length = 0;
  napi_value name_value, index_value;
  std::string name;
  int64_t index = 0;
  if (!ArrayLength(env, value, &length) || length != 2 || napi_get_element(env, value, 0, &name_value) != napi_ok ||
      napi_get_element(env, value, 1, &index_value) != napi_ok || !GetString(env, name_value, &name) ||
      !GetInt64(env, index_value, &index)) {
    *error = "an output is [operationName, index]";
    return false;
  }
  TF_Operation* op = TF_GraphOperationByName(graph, name.c_str());
  if (!op) {
    *error = "no operation named " + name;
    return false;
  }
  if (index < 0 || index >= TF_OperationNumOutputs(op)) {
    *error = "operation " + name + " has no output " + std::to_string(index);
    return false;
  }
  out->oper = op;
  out->index = static_cast<int>(index);
  return true;
}

bool GetOutputs(napi_env env, TF_Graph* graph, napi_value array, std::vector<TF_Output>* out, std::string* error) {
  uint32_t length = 0;
  if (!ArrayLength(env, array, &length)) {
    *error = "expected a list of outputs";
    return false;
  }
  out->resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    napi_value item;
    if (napi_get_element(env, array, i, &item) != napi_ok || !GetOutput(env, graph, item, &(*out)[i], error)) return false;
  }
  return true;
}

napi_value MakeOutputs(napi_env env, const std::vector<TF_Output>& outputs) {
  napi_value array;
  CHECK_NAPI(env, napi_create_array_with_length(env, outputs.size(), &array));
  for (size_t i = 0; i < outputs.size(); ++i) {
    napi_value pair, name, index;
    CHECK_NAPI(env, napi_create_array_with_length(env, 2, &pair));
    CHECK_NAPI(env, napi_create_string_utf8(env, TF_OperationName(outputs[i].oper), NAPI_AUTO_LENGTH, &name));
    CHECK_NAPI(env, napi_create_int32(env, outputs[i].index, &index));
    CHECK_NAPI(env, napi_set_element(env, pair, 0, name));
    CHECK_NAPI(env, napi_set_element(env, pair, 1, index));
    CHECK_NAPI(env, napi_set_element(env, array, i, pair));
  }
  return array;
}

size_t DTypeSize(TF_DataType dtype) { return TF_DataTypeSize(dtype); }

napi_typedarray_type TypedArrayFor(TF_DataType dtype, bool* ok) {
  *ok = true;
  switch (dtype) {
    case TF_FLOAT: return napi_float32_array;
    case TF_DOUBLE: return napi_float64_array;
    case TF_INT32: return napi_int32_array;
    case TF_UINT8: return napi_uint8_array;
    case TF_BOOL: return napi_uint8_array;
    case TF_INT64: return napi_bigint64_array;
    default: *ok = false; return napi_uint8_array;
  }
}

// A tensor value from JS: `{dtype, shape, data}` with data a typed array of that dtype's width.
TF_Tensor* TensorFromJs(napi_env env, napi_value value, std::string* error) {
  napi_value dtype_value, shape_value, data_value;
  int64_t dtype = 0;
  std::vector<int64_t> dims;
  if (!GetNamed(env, value, "dtype", &dtype_value) || !GetInt64(env, dtype_value, &dtype) ||
      !GetNamed(env, value, "shape", &shape_value) || !GetInt64Array(env, shape_value, &dims) ||
      !GetNamed(env, value, "data", &data_value)) {
    *error = "a tensor is {dtype, shape, data}";
    return nullptr;
  }
  bool is_typed = false;
  napi_is_typedarray(env, data_value, &is_typed);
  if (!is_typed) {
    *error = "tensor data must be a typed array";
    return nullptr;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, data_value, &type, &length, &data, &buffer, &offset) != napi_ok) {
    *error = "cannot read the typed array";
    return nullptr;
  }
  const auto tf_type = static_cast<TF_DataType>(dtype);
  const size_t element = DTypeSize(tf_type);
  if (element == 0) {
    *error = "unsupported dtype " + std::to_string(dtype);
    return nullptr;
  }
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0) {
      *error = "a tensor's shape has no unknown dimensions";
      return nullptr;
    }
    count *= d;
  }
  bool known = false;
  if (TypedArrayFor(tf_type, &known) != type || !known) {
    *error = "tensor data is not the typed array of dtype " + std::to_string(dtype);
    return nullptr;
  }
  if (static_cast<int64_t>(length) < count) {
    *error = "tensor data has " + std::to_string(length) + " elements; the shape needs " + std::to_string(count);
    return nullptr;
  }
  TF_Tensor* tensor = TF_AllocateTensor(tf_type, dims.data(), static_cast<int>(dims.size()), count * element);
  if (count > 0) std::memcpy(TF_TensorData(tensor), data, count * element);
  return tensor;
}

napi_value TensorToJs(napi_env env, TF_Tensor* tensor) {
  const TF_DataType dtype = TF_TensorType(tensor);
  bool ok = false;
  const napi_typedarray_type array_type = TypedArrayFor(dtype, &ok);
  if (!ok) return Throw(env, "cannot fetch a tensor of dtype " + std::to_string(dtype));
  const size_t bytes = TF_TensorByteSize(tensor);
  void* data = nullptr;
  napi_value buffer, array, result, shape, dtype_value;
  CHECK_NAPI(env, napi_create_arraybuffer(env, bytes, &data, &buffer));
  if (bytes > 0) std::memcpy(data, TF_TensorData(tensor), bytes);
  CHECK_NAPI(env, napi_create_typedarray(env, array_type, bytes / TF_DataTypeSize(dtype), buffer, 0, &array));
  const int rank = TF_NumDims(tensor);
  CHECK_NAPI(env, napi_create_array_with_length(env, rank, &shape));
  for (int i = 0; i < rank; ++i) {
    napi_value dim;
    CHECK_NAPI(env, napi_create_int64(env, TF_Dim(tensor, i), &dim));
    CHECK_NAPI(env, napi_set_element(env, shape, i, dim));
  }
  CHECK_NAPI(env, napi_create_int32(env, dtype, &dtype_value));
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_set_named_property(env, result, "dtype", dtype_value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "shape", shape));
  CHECK_NAPI(env, napi_set_named_property(env, result, "data", array));
  return result;
}

// ---------------------------------------------------------------- attributes

bool SetAttr(napi_env env, TF_OperationDescription* desc, const std::string& name, napi_value spec, std::string* error) {
  napi_value kind_value, value;
  std::string kind;
  if (!GetNamed(env, spec, "kind", &kind_value) || !GetString(env, kind_value, &kind) || !GetNamed(env, spec, "value", &value)) {
    *error = "attribute " + name + " is {kind, value}";
    return false;
  }
  const char* attr = name.c_str();
  if (kind == "int" || kind == "type") {
    int64_t v = 0;
    if (!GetInt64(env, value, &v)) goto bad;
    if (kind == "int") TF_SetAttrInt(desc, attr, v);
    else TF_SetAttrType(desc, attr, static_cast<TF_DataType>(v));
    return true;
  }
  if (kind == "float") {
    double v = 0;
    if (napi_get_value_double(env, value, &v) != napi_ok) goto bad;
    TF_SetAttrFloat(desc, attr, static_cast<float>(v));
    return true;
  }
  if (kind == "bool") {
    bool v = false;
    if (napi_get_value_bool(env, value, &v) != napi_ok) goto bad;
    TF_SetAttrBool(desc, attr, v ? 1 : 0);
    return true;
  }
  if (kind == "string") {
    std::string v;
    if (!GetString(env, value, &v)) goto bad;
    TF_SetAttrString(desc, attr, v.data(), v.size());
    return true;
  }
  if (kind == "shape") {
    napi_valuetype type;
    napi_typeof(env, value, &type);
    if (type == napi_null) {
      TF_SetAttrShape(desc, attr, nullptr, -1);
      return true;
    }
    std::vector<int64_t> dims;
    if (!GetInt64Array(env, value, &dims)) goto bad;
    TF_SetAttrShape(desc, attr, dims.data(), static_cast<int>(dims.size()));
    return true;
  }
  if (kind == "ints" || kind == "types") {
    std::vector<int64_t> values;
    if (!GetInt64Array(env, value, &values)) goto bad;
    if (kind == "ints") {
      TF_SetAttrIntList(desc, attr, values.data(), static_cast<int>(values.size()));
    } else {
      std::vector<TF_DataType> types(values.size());
      for (size_t i = 0; i < values.size(); ++i) types[i] = static_cast<TF_DataType>(values[i]);
      TF_SetAttrTypeList(desc, attr, types.data(), static_cast<int>(types.size()));
    }
    return true;
  }
  if (kind == "floats") {
    uint32_t length = 0;
    if (!ArrayLength(env, value, &length)) goto bad;
    std::vector<float> values(length);
    for (uint32_t i = 0; i < length; ++i) {
      napi_value item;
      double v = 0;
      if (napi_get_element(env, value, i, &item) != napi_ok || napi_get_value_double(env, item, &v) != napi_ok) goto bad;
      values[i] = static_cast<float>(v);
    }
    TF_SetAttrFloatList(desc, attr, values.data(), static_cast<int>(values.size()));
    return true;
  }
  if (kind == "tensor") {
    TF_Tensor* tensor = TensorFromJs(env, value, error);
    if (!tensor) return false;
    StatusHolder status;
    TF_SetAttrTensor(desc, attr, tensor, status.status);
    TF_DeleteTensor(tensor);
    if (!status.ok()) {
      *error = "attribute " + name + ": " + status.message();
      return false;
    }
    return true;
  }
  *error = "attribute " + name + " has unknown kind " + kind;
  return false;
bad:
  *error = "attribute " + name + " has a value that is not a " + kind;
  return false;
}

// ---------------------------------------------------------------- graph functions

void FinalizeGraph(napi_env, void* data, void*) { delete static_cast<Graph*>(data); }

napi_value NewGraph(napi_env env, napi_callback_info) {
  napi_value result;
  auto* graph = new Graph();
  CHECK_NAPI(env, napi_create_external(env, graph, FinalizeGraph, nullptr, &result));
  return result;
}

// addOperation(graph, {type, name, inputs, control, attrs, device}) → number of outputs.
// `inputs` lists outputs; an element that is itself a list of outputs is a list input.
napi_value AddOperation(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Graph* graph = argc == 2 ? UnwrapGraph(env, argv[0]) : nullptr;
  if (!graph) return Throw(env, "addOperation(graph, spec)");
  napi_value spec = argv[1];
  napi_value type_value, name_value, inputs_value, control_value, attrs_value, device_value;
  std::string type, name, error;
  if (!GetNamed(env, spec, "type", &type_value) || !GetString(env, type_value, &type) ||
      !GetNamed(env, spec, "name", &name_value) || !GetString(env, name_value, &name)) {
    return Throw(env, "an operation needs a type and a name");
  }
  if (TF_GraphOperationByName(graph->graph, name.c_str())) return Throw(env, "the graph already has an operation named " + name);
  // Refuse an unknown operation type before a description exists that would have to be finished.
  {
    StatusHolder status;
    TF_Buffer* def = TF_NewBuffer();
    TF_GraphGetOpDef(graph->graph, type.c_str(), def, status.status);
    TF_DeleteBuffer(def);
    if (!status.ok()) return Throw(env, "unknown operation type " + type);
  }
  TF_OperationDescription* desc = TF_NewOperation(graph->graph, type.c_str(), name.c_str());

  auto fail = [&](const std::string& message) -> napi_value {
    // A description cannot be discarded: finishing it with an error status frees it.
    StatusHolder status;
    TF_FinishOperation(desc, status.status);
    return Throw(env, "operation " + name + " (" + type + "): " + message);
  };

  uint32_t count = 0;
  if (GetNamed(env, spec, "inputs", &inputs_value) && ArrayLength(env, inputs_value, &count)) {
    for (uint32_t i = 0; i < count; ++i) {
      napi_value item, first;
      napi_get_element(env, inputs_value, i, &item);
      napi_get_element(env, item, 0, &first);
      bool nested = false;
      napi_is_array(env, first, &nested);
      if (nested) {
        std::vector<TF_Output> list;
        if (!GetOutputs(env, graph->graph, item, &list, &error)) return fail(error);
        TF_AddInputList(desc, list.data(), static_cast<int>(list.size()));
      } else {
        TF_Output output;
        if (!GetOutput(env, graph->graph, item, &output, &error)) return fail(error);
        TF_AddInput(desc, output);
      }
    }
  }
  if (GetNamed(env, spec, "control", &control_value) && ArrayLength(env, control_value, &count)) {
    for (uint32_t i = 0; i < count; ++i) {
      napi_value item;
      std::string control;
      napi_get_element(env, control_value, i, &item);
      if (!GetString(env, item, &control)) return fail("control inputs are operation names");
      TF_Operation* op = TF_GraphOperationByName(graph->graph, control.c_str());
      if (!op) return fail("no operation named " + control);
      TF_AddControlInput(desc, op);
    }
  }
  napi_valuetype attrs_type = napi_undefined;
  if (GetNamed(env, spec, "attrs", &attrs_value)) napi_typeof(env, attrs_value, &attrs_type);
  if (attrs_type == napi_object) {
    napi_value keys;
    napi_get_property_names(env, attrs_value, &keys);
    napi_get_array_length(env, keys, &count);
    for (uint32_t i = 0; i < count; ++i) {
      napi_value key, attr;
      std::string attr_name;
      napi_get_element(env, keys, i, &key);
      GetString(env, key, &attr_name);
      napi_get_property(env, attrs_value, key, &attr);
      if (!SetAttr(env, desc, attr_name, attr, &error)) return fail(error);
    }
  }
  napi_valuetype device_type = napi_undefined;
  if (GetNamed(env, spec, "device", &device_value)) napi_typeof(env, device_value, &device_type);
  if (device_type == napi_string) {
    std::string device;
    GetString(env, device_value, &device);
    TF_SetDevice(desc, device.c_str());
  }
  StatusHolder status;
  TF_Operation* op = TF_FinishOperation(desc, status.status);
  if (!status.ok()) return Throw(env, "operation " + name + " (" + type + "): " + status.message());
  napi_value outputs;
  CHECK_NAPI(env, napi_create_int32(env, TF_OperationNumOutputs(op), &outputs));
  return outputs;
}

// addGradients(graph, prefix, ys, xs, dys | null) → the outputs d(sum ys)/d xs.
napi_value AddGradients(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Graph* graph = argc == 5 ? UnwrapGraph(env, argv[0]) : nullptr;
  std::string prefix, error;
  if (!graph || !GetString(env, argv[1], &prefix)) return Throw(env, "addGradients(graph, prefix, ys, xs, dys)");
  std::vector<TF_Output> ys, xs, dys;
  if (!GetOutputs(env, graph->graph, argv[2], &ys, &error) || !GetOutputs(env, graph->graph, argv[3], &xs, &error)) {
    return Throw(env, "addGradients: " + error);
  }
  napi_valuetype dys_type;
  napi_typeof(env, argv[4], &dys_type);
  if (dys_type != napi_null && dys_type != napi_undefined) {
    if (!GetOutputs(env, graph->graph, argv[4], &dys, &error)) return Throw(env, "addGradients: " + error);
    if (dys.size() != ys.size()) return Throw(env, "addGradients: one seed per y");
  }
  std::vector<TF_Output> dxs(xs.size());
  StatusHolder status;
  TF_AddGradientsWithPrefix(graph->graph, prefix.c_str(), ys.data(), static_cast<int>(ys.size()), xs.data(),
                            static_cast<int>(xs.size()), dys.empty() ? nullptr : dys.data(), status.status, dxs.data());
  if (!status.ok()) return Throw(env, "addGradients: " + status.message());
  for (const TF_Output& dx : dxs) {
    if (!dx.oper) return Throw(env, "addGradients: some x does not reach any y");
  }
  return MakeOutputs(env, dxs);
}

// outputShape(graph, output) → the static shape (-1 unknown dimensions), or null when the rank is unknown.
napi_value OutputShape(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Graph* graph = argc == 2 ? UnwrapGraph(env, argv[0]) : nullptr;
  std::string error;
  TF_Output output;
  if (!graph) return Throw(env, "outputShape(graph, output)");
  if (!GetOutput(env, graph->graph, argv[1], &output, &error)) return Throw(env, error);
  StatusHolder status;
  const int rank = TF_GraphGetTensorNumDims(graph->graph, output, status.status);
  if (!status.ok()) return Throw(env, status.message());
  napi_value result;
  if (rank < 0) {
    napi_get_null(env, &result);
    return result;
  }
  std::vector<int64_t> dims(rank);
  TF_GraphGetTensorShape(graph->graph, output, dims.data(), rank, status.status);
  if (!status.ok()) return Throw(env, status.message());
  CHECK_NAPI(env, napi_create_array_with_length(env, rank, &result));
  for (int i = 0; i < rank; ++i) {
    napi_value dim;
    CHECK_NAPI(env, napi_create_int64(env, dims[i], &dim));
    CHECK_NAPI(env, napi_set_element(env, result, i, dim));
  }
  return result;
}

// ---------------------------------------------------------------- sessions

void FinalizeSession(napi_env env, void* data, void*) {
  auto* session = static_cast<Session*>(data);
  CloseSession(env, session);
  delete session;
}

// newSession(graph, configProto: Uint8Array) → session.
napi_value NewSession(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Graph* graph = argc == 2 ? UnwrapGraph(env, argv[0]) : nullptr;
  if (!graph) return Throw(env, "newSession(graph, config)");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  bool is_typed = false;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    return Throw(env, "newSession: the config is a serialized ConfigProto in a Uint8Array");
  }
  StatusHolder status;
  TF_SessionOptions* options = TF_NewSessionOptions();
  if (length > 0) TF_SetConfig(options, data, length, status.status);
  if (!status.ok()) {
    TF_DeleteSessionOptions(options);
    return Throw(env, "newSession: " + status.message());
  }
  TF_Session* tf_session = TF_NewSession(graph->graph, options, status.status);
  TF_DeleteSessionOptions(options);
  if (!status.ok()) return Throw(env, "newSession: " + status.message());
  auto* session = new Session();
  session->session = tf_session;
  CHECK_NAPI(env, napi_create_reference(env, argv[0], 1, &session->graph_ref));
  napi_value result;
  CHECK_NAPI(env, napi_create_external(env, session, FinalizeSession, nullptr, &result));
  return result;
}

// closeSession(session): frees the session now; a run still in flight finishes first.
napi_value CloseSessionJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Session* session = argc == 1 ? UnwrapSession(env, argv[0]) : nullptr;
  if (!session) return Throw(env, "closeSession(session)");
  if (session->runs_in_flight > 0) session->close_requested = true;
  else CloseSession(env, session);
  return nullptr;
}

struct RunWork {
  Session* session = nullptr;
  napi_ref session_ref = nullptr;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
  std::vector<TF_Output> inputs;
  std::vector<TF_Tensor*> input_values;
  std::vector<TF_Output> outputs;
  std::vector<TF_Tensor*> output_values;
  std::vector<TF_Operation*> targets;
  TF_Status* status = TF_NewStatus();

  ~RunWork() {
    for (TF_Tensor* t : input_values) TF_DeleteTensor(t);
    for (TF_Tensor* t : output_values)
      if (t) TF_DeleteTensor(t);
    TF_DeleteStatus(status);
  }
};

void ExecuteRun(napi_env, void* data) {
  auto* work = static_cast<RunWork*>(data);
  TF_SessionRun(work->session->session, nullptr, work->inputs.data(), work->input_values.data(),
                static_cast<int>(work->inputs.size()), work->outputs.data(), work->output_values.data(),
                static_cast<int>(work->outputs.size()), work->targets.data(), static_cast<int>(work->targets.size()),
                nullptr, work->status);
}

void CompleteRun(napi_env env, napi_status, void* data) {
  std::unique_ptr<RunWork> work(static_cast<RunWork*>(data));
  Session* session = work->session;
  session->runs_in_flight -= 1;
  napi_value result = nullptr;
  if (TF_GetCode(work->status) != TF_OK) {
    napi_value message, error;
    napi_create_string_utf8(env, TF_Message(work->status), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, work->deferred, error);
  } else {
    napi_create_array_with_length(env, work->output_values.size(), &result);
    bool failed = false;
    for (size_t i = 0; i < work->output_values.size() && !failed; ++i) {
      napi_value tensor = TensorToJs(env, work->output_values[i]);
      if (!tensor) {
        failed = true;
        break;
      }
      napi_set_element(env, result, i, tensor);
    }
    if (failed) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_reject_deferred(env, work->deferred, exception);
    } else {
      napi_resolve_deferred(env, work->deferred, result);
    }
  }
  if (session->close_requested && session->runs_in_flight == 0) CloseSession(env, session);
  napi_delete_async_work(env, work->work);
  napi_delete_reference(env, work->session_ref);
}

// run(session, graph, feeds: [output, tensor][], fetches: output[], targets: name[]) → Promise<tensor[]>.
// TF_SessionRun runs on libuv's thread pool, so the event loop stays free.
napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Session* session = argc == 5 ? UnwrapSession(env, argv[0]) : nullptr;
  Graph* graph = argc == 5 ? UnwrapGraph(env, argv[1]) : nullptr;
  if (!session || !graph) return Throw(env, "run(session, graph, feeds, fetches, targets)");
  if (!session->session || session->close_requested) return Throw(env, "run: the session is closed");
  auto work = std::make_unique<RunWork>();
  work->session = session;
  std::string error;
  uint32_t count = 0;
  if (!ArrayLength(env, argv[2], &count)) return Throw(env, "run: feeds are a list of [output, tensor]");
  for (uint32_t i = 0; i < count; ++i) {
    napi_value pair, output_value, tensor_value;
    napi_get_element(env, argv[2], i, &pair);
    TF_Output output;
    if (napi_get_element(env, pair, 0, &output_value) != napi_ok || napi_get_element(env, pair, 1, &tensor_value) != napi_ok ||
        !GetOutput(env, graph->graph, output_value, &output, &error)) {
      return Throw(env, "run: feed " + std::to_string(i) + ": " + error);
    }
    TF_Tensor* tensor = TensorFromJs(env, tensor_value, &error);
    if (!tensor) return Throw(env, "run: feed " + std::to_string(i) + ": " + error);
    work->inputs.push_back(output);
    work->input_values.push_back(tensor);
  }
  if (!GetOutputs(env, graph->graph, argv[3], &work->outputs, &error)) return Throw(env, "run: fetches: " + error);
  work->output_values.assign(work->outputs.size(), nullptr);
  if (!ArrayLength(env, argv[4], &count)) return Throw(env, "run: targets are operation names");
  for (uint32_t i = 0; i < count; ++i) {
    napi_value item;
    std::string name;
    napi_get_element(env, argv[4], i, &item);
    if (!GetString(env, item, &name)) return Throw(env, "run: targets are operation names");
    TF_Operation* op = TF_GraphOperationByName(graph->graph, name.c_str());
    if (!op) return Throw(env, "run: no operation named " + name);
    work->targets.push_back(op);
  }
  napi_value promise, resource_name;
  CHECK_NAPI(env, napi_create_promise(env, &work->deferred, &promise));
  CHECK_NAPI(env, napi_create_reference(env, argv[0], 1, &work->session_ref));
  CHECK_NAPI(env, napi_create_string_utf8(env, "modelyard.graph.run", NAPI_AUTO_LENGTH, &resource_name));
  RunWork* raw = work.get();
  CHECK_NAPI(env, napi_create_async_work(env, nullptr, resource_name, ExecuteRun, CompleteRun, raw, &raw->work));
  CHECK_NAPI(env, napi_queue_async_work(env, raw->work));
  session->runs_in_flight += 1;
  work.release();
  return promise;
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value result;
  CHECK_NAPI(env, napi_create_string_utf8(env, TF_Version(), NAPI_AUTO_LENGTH, &result));
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"newGraph", nullptr, NewGraph, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addOperation", nullptr, AddOperation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addGradients", nullptr, AddGradients, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"outputShape", nullptr, OutputShape, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"newSession", nullptr, NewSession, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"closeSession", nullptr, CloseSessionJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
