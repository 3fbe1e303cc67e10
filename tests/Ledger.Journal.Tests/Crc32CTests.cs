using System.Text;
using Ledger.Journal.Format;
using NUnit.Framework;

namespace Ledger.Journal.Tests;

public class Crc32CTests
{
    [TestCase("", 0x00000000u)]
    [TestCase("123456789", 0xE3069283u)] // the CRC-32C check value
    [TestCase("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void ShouldMatchTheCastagnoliCheckValues(string text, uint expected) =>
        Assert.That(Crc32C.Compute(Encoding.ASCII.GetBytes(text)), Is.EqualTo(expected));

    [Test]
    public void ShouldContinueAcrossPieces()
    {
        var bytes = Encoding.ASCII.GetBytes("a journal record split at every position");
        for (int split = 0; split <= bytes.Length; split++)
        {
            Assert.That(Crc32C.Append(Crc32C.Compute(bytes.AsSpan(0, split)), bytes.AsSpan(split)), Is.EqualTo(Crc32C.Compute(bytes)));
        }
    }
}
