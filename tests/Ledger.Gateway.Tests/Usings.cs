global using NUnit.Framework;
global using static Ledger.Gateway.Tests.Http;
