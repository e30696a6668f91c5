import FuzzDriver

FuzzDriver.run { data, count in
    FuzzDriver.verdict(DecoderCheck.check(FuzzDriver.bytes(data, count), types: NISTypes.all))
}
