using System.Buffers.Binary;

namespace AutoGrad.Nn.Data;

/// <summary>
/// The IDX format of the MNIST files: a big-endian header (two zero bytes, a type code, the number of
/// dimensions, then each dimension as a 32-bit integer) followed by the elements in row-major order.
/// </summary>
public static class Idx
{
    /// <summary>An IDX file's contents: dimensions and elements converted to double.</summary>
    /// <param name="Dims">The dimensions.</param>
    /// <param name="Values">The elements, row-major.</param>
    public sealed record Array(int[] Dims, double[] Values)
    {
        /// <summary>The file's element type code: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.</summary>
        public byte ElementType { get; init; } = 0x08;

        /// <summary>True when the file stores integers (type 0x08, 0x09, 0x0B or 0x0C), as label files must.</summary>
        public bool IsInteger => ElementType is 0x08 or 0x09 or 0x0B or 0x0C;
    }

    /// <summary>Reads an IDX file, with clear errors for a bad header, unknown types and truncated data.</summary>
    public static Array Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file not found: {path}", path);
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses IDX bytes; <paramref name="source"/> names them in messages.</summary>
    public static Array Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
        {
            throw new InvalidDataException($"{source}: not an IDX file (the first two bytes must be zero; {bytes.Length} bytes in all)");
        }

        int type = bytes[2], rank = bytes[3];
        int size = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new InvalidDataException($"{source}: unknown IDX element type 0x{type:X2}"),
        };

        int header = 4 + 4 * rank;
        if (bytes.Length < header)
        {
            throw new InvalidDataException($"{source}: truncated header ({bytes.Length} bytes, {header} needed for {rank} dimensions)");
        }

        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0)
            {
                throw new InvalidDataException($"{source}: negative dimension {dims[i]}");
            }

            count *= dims[i];
            if (count > int.MaxValue)
            {
                throw new InvalidDataException($"{source}: the header's dimensions [{string.Join(",", dims.Take(i + 1))}…] describe more than {int.MaxValue} elements");
            }
        }

        long expected = header + count * size;
        if (bytes.Length != expected)
        {
            throw new InvalidDataException($"{source}: the header promises [{string.Join(",", dims)}] ({expected} bytes) but the file has {bytes.Length} bytes{(bytes.Length < expected ? " (truncated)" : "")}");
        }

        var values = new double[count];
        var data = bytes.AsSpan(header);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                0x08 => data[i],
                0x09 => (sbyte)data[i],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(data[(2 * i)..]),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(data[(4 * i)..]),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(data[(4 * i)..]),
                _ => BinaryPrimitives.ReadDoubleBigEndian(data[(8 * i)..]),
            };
        }

        return new Array(dims, values) { ElementType = (byte)type };
    }
}
