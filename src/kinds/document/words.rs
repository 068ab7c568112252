//! Keys and plain words read through serde: the key deserializer and the unit-variant enum
//! access shared by the tree deserializer and the filler.

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeSeed, EnumAccess, IntoDeserializer, Unexpected, VariantAccess, Visitor};

use super::problem::Problem;

/// A key (or a word) as a serde deserializer.
pub(super) fn key_deserializer(key: &str) -> StrDeserializer<'_, Problem> {
    key.into_deserializer()
}

/// A scalar read as an enum: the variant is its text.
pub(super) struct UnitVariant<'a>(pub(super) &'a str);

impl<'de> EnumAccess<'de> for UnitVariant<'_> {
    type Error = Problem;
    type Variant = UnitOnly;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, UnitOnly), Problem> {
        seed.deserialize(key_deserializer(self.0))
            .map(|value| (value, UnitOnly))
    }
}

/// Manifest enums are plain words; a variant with data cannot be written as a scalar.
pub(super) struct UnitOnly;

impl<'de> VariantAccess<'de> for UnitOnly {
    type Error = Problem;

    fn unit_variant(self) -> Result<(), Problem> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Problem> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"newtype variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Problem> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"tuple variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Problem> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"struct variant"))
    }
}
