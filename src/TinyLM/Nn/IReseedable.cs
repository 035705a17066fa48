namespace TinyLM.Nn;

/// <summary>
/// A module that draws random numbers while training (dropout masks). The trainer reseeds every such module
/// from (seed, step) before each step, so a run resumed from a checkpoint draws the same masks as an
/// uninterrupted one without having to save generator states.
/// </summary>
public interface IReseedable
{
    /// <summary>Restarts this module's random stream from <paramref name="seed"/>.</summary>
    void Reseed(ulong seed);
}
