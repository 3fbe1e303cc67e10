using System.Reflection;
using System.Xml.Linq;
using NUnit.Framework;

namespace Ledger.Engine.Tests.Architecture;

/// <summary>The engine references the BCL and nothing else.</summary>
public class DependencyTests
{
    private static readonly Assembly EngineAssembly = typeof(LedgerEngine).Assembly;

    [Test]
    public void ShouldReferenceOnlyAssembliesOfTheSharedFramework()
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        foreach (var name in EngineAssembly.GetReferencedAssemblies())
        {
            var referenced = Assembly.Load(name);
            Assert.That(Path.GetDirectoryName(referenced.Location), Is.EqualTo(framework), $"{name.Name} is not part of the .NET runtime");
        }
    }

    [TestCase("AspNetCore")]
    [TestCase("Kafka")]
    [TestCase("Confluent")]
    [TestCase("FASTER")]
    [TestCase("MessagePack")]
    [TestCase("Avro")]
    [TestCase("Ledger.Journal")]
    public void ShouldNotReference(string forbidden)
    {
        var names = EngineAssembly.GetReferencedAssemblies().Select(a => a.Name ?? "");
        Assert.That(names, Has.None.Contains(forbidden));
    }

    [Test]
    public void ShouldDeclareNoPackageOrProjectReference()
    {
        // Catches a reference before it is used (an unused package never shows in the compiled references).
        var project = XDocument.Load(Path.Combine(RepositoryRoot(), "engine", "Ledger.Engine.csproj"));
        var references = project.Descendants().Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference" or "Reference" or "FrameworkReference");
        Assert.That(references.Select(r => r.ToString()), Is.Empty);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Ledger.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
