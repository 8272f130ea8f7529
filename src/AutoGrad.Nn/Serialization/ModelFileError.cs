namespace AutoGrad.Nn.Serialization;

/// <summary>
/// The one exception type of a rejected model or parameter file: an <see cref="InvalidDataException"/> (a sealed
/// type, so not subclassed) whose message names the file, then the tensor or field at fault, then the problem.
/// </summary>
internal static class ModelFileError
{
    public static InvalidDataException Reject(string path, string? field, string detail)
    {
        var error = new InvalidDataException(field is null ? $"{path}: {detail}" : $"{path}: {field} {detail}");
        error.Data["file"] = path;
        error.Data["field"] = field;
        return error;
    }
}
