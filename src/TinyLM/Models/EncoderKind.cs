namespace TinyLM.Models;

/// <summary>The encoder that turns embedded tokens (B, T, E) into one feature vector per text.</summary>
public enum EncoderKind
{
    /// <summary>Mean of word and hashed word-bigram embeddings: the fastText model.</summary>
    Bag,
    /// <summary>Several kernel widths, ReLU, max over time (Kim 2014).</summary>
    Cnn,
    /// <summary>Bidirectional, stacked LSTM with a fused recurrent kernel.</summary>
    BiLstm,
    /// <summary>Bidirectional, stacked GRU with a fused recurrent kernel.</summary>
    BiGru,
    /// <summary>Pre-LN Transformer encoder with learned positions.</summary>
    Transformer,
}

/// <summary>How a sequence encoder's per-position outputs become one vector.</summary>
public enum PoolingKind
{
    /// <summary>Recurrent: the final state of each direction (Keras' Bidirectional(LSTM) default). Transformer: the [CLS] position.</summary>
    Last,
    /// <summary>Maximum over valid positions.</summary>
    Max,
    /// <summary>Mean over valid positions.</summary>
    Mean,
}

/// <summary>Which end of a long text is cut when it exceeds the maximum length.</summary>
public enum TruncationSide
{
    /// <summary>Keep the beginning (news leads carry the topic).</summary>
    End,
    /// <summary>Keep the end (Keras' pad_sequences default, truncating='pre').</summary>
    Start,
}
