namespace AutoGrad.Backends.Recording;

/// <summary>
/// One recorded kernel call: the slots it reads and writes (for planning buffer lifetimes) and the call itself,
/// taking the backend and the table of buffers by slot number, so that a replay binds other buffers to the same slots.
/// </summary>
/// <param name="Kernel">The kernel's name, for messages.</param>
/// <param name="Reads">The slots read.</param>
/// <param name="Writes">The slots written.</param>
/// <param name="Run">The call, over the backend and the buffers by slot number.</param>
/// <param name="Elementwise">
/// True for a kernel that reads element i of each input only to write element i of its output (unary, flat binary,
/// the fused updates): its output may then share a buffer with an input of its length that nothing reads afterwards.
/// </param>
internal sealed record KernelCommand(string Kernel, int[] Reads, int[] Writes, Action<IBackend, TensorStorage[]> Run, bool Elementwise);
